// "Select all" for the bulk confirm-and-release of unflagged reviews on this page.
var all = document.getElementById('select-all');
if (all) {
  all.addEventListener('change', function () {
    document.querySelectorAll('input[name=ids]').forEach(function (box) { box.checked = all.checked; });
  });
}
