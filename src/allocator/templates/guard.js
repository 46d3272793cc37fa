(function(){var root=document.documentElement,errors=[],blocked=[];
function note(list,attr,text){list.push(String(text));root.setAttribute(attr,list.join(' | '));}
window.addEventListener('error',function(e){note(errors,'data-errors',e.message||('failed to load '+((e.target&&(e.target.src||e.target.href))||'a resource')));},true);
window.addEventListener('unhandledrejection',function(e){note(errors,'data-errors','unhandled rejection: '+e.reason);});
document.addEventListener('securitypolicyviolation',function(e){note(blocked,'data-blocked-requests',e.blockedURI+' ('+e.violatedDirective+')');});
var ce=console.error;console.error=function(){note(errors,'data-errors',Array.prototype.join.call(arguments,' '));return ce.apply(console,arguments);};
})();
