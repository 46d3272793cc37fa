(function(){
var table=document.getElementById('areas'),input=document.getElementById('search'),count=document.getElementById('count');
if(table){
var tbody=table.tBodies[0],rows=Array.prototype.slice.call(tbody.rows),total=rows.length;
rows.forEach(function(r){r._text=(r.textContent+' '+r.getAttribute('data-code')).toLowerCase();});
function filter(){var q=input.value.trim().toLowerCase(),n=0;
 rows.forEach(function(r){var show=!q||r._text.indexOf(q)>=0;r.style.display=show?'':'none';if(show)n++;});
 count.textContent=n+' of '+total+' councils';}
input.addEventListener('input',filter);
var m=/^#search=(.*)$/.exec(location.hash);if(m){input.value=decodeURIComponent(m[1]);filter();}
var heads=table.tHead.rows[0].cells;
Array.prototype.forEach.call(heads,function(th,i){
 function sort(){var asc=th.getAttribute('aria-sort')!=='ascending',num=th.getAttribute('data-kind')==='num';
  Array.prototype.forEach.call(heads,function(h){h.removeAttribute('aria-sort');});
  th.setAttribute('aria-sort',asc?'ascending':'descending');
  rows.sort(function(a,b){var x=a.cells[i],y=b.cells[i],c;
   if(num){var u=parseFloat(x.getAttribute('data-v')),v=parseFloat(y.getAttribute('data-v'));
    u=isNaN(u)?-Infinity:u;v=isNaN(v)?-Infinity:v;c=u-v;}
   else{c=x.textContent.localeCompare(y.textContent);}
   return asc?c:-c;});
  rows.forEach(function(r){tbody.appendChild(r);});}
 th.addEventListener('click',sort);
 th.addEventListener('keydown',function(e){if(e.key==='Enter'||e.key===' '){e.preventDefault();sort();}});
});
document.querySelectorAll('.hex').forEach(function(h){h.addEventListener('click',function(){
 var code=h.getAttribute('data-code');input.value=code;filter();
 rows.forEach(function(r){r.classList.toggle('hit',r.getAttribute('data-code')===code);});
 table.scrollIntoView({behavior:'smooth',block:'start'});});});
}
document.documentElement.setAttribute('data-report-ready','1');
})();
