// Keyboard shortcuts on the coach's review page, ignored while typing in a field:
// c confirm and next, r release and next, o override, e edit feedback, n next review, q queue.
document.addEventListener('keydown', function (event) {
  var target = event.target;
  if (event.ctrlKey || event.metaKey || event.altKey || target.isContentEditable ||
      /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) return;
  var press = function (id) { var el = document.getElementById(id); if (el) { event.preventDefault(); el.click(); } };
  var focus = function (id) { var el = document.getElementById(id); if (el) { event.preventDefault(); el.focus(); el.scrollIntoView({block: 'center'}); } };
  switch (event.key) {
    case 'c': press('confirm-next'); break;
    case 'r': press('release-next'); break;
    case 'o': focus('olevel'); break;
    case 'e': focus('esummary'); break;
    case 'n': press('next'); break;
    case 'q': event.preventDefault(); location.href = '/queue'; break;
  }
});
