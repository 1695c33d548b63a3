/* Bulk actions: "select all on this page" and the number of checked rows. */
(function () {
  var all = document.getElementById("bulk-select-page");
  var boxes = document.querySelectorAll('input[name="ids"][form="bulk-form"]');
  var shown = document.getElementById("bulk-checked-count");
  function update() {
    var n = 0;
    boxes.forEach(function (b) { if (b.checked) n++; });
    shown.textContent = n ? n + " checked" : "";
    all.checked = n > 0 && n === boxes.length;
    all.indeterminate = n > 0 && n < boxes.length;
  }
  all.addEventListener("change", function () { boxes.forEach(function (b) { b.checked = all.checked; }); update(); });
  boxes.forEach(function (b) { b.addEventListener("change", update); });
})();
