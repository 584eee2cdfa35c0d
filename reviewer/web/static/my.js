// Progressive enhancement: while anything is queued or scoring, refresh the list in place.
(function poll() {
  if (!document.querySelector('[data-state=queued], [data-state=scoring]')) return;
  setTimeout(function () {
    fetch(location.href, {credentials: 'same-origin'}).then(function (r) { return r.text(); }).then(function (html) {
      var fresh = new DOMParser().parseFromString(html, 'text/html').querySelector('main');
      if (fresh) { document.querySelector('main').innerHTML = fresh.innerHTML; }
      poll();
    });
  }, 2000);
})();
