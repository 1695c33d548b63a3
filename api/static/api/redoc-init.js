"use strict";
// Starts Redoc (api/templates/api/redoc.html) without an inline script. Redoc's styled-components
// add <style> elements: they carry the nonce this response's CSP allows (api/views/docs.py).
// No search box: it runs in a worker made from a blob: URL, which the CSP does not allow.
(function () {
  var container = document.getElementById("redoc-container");
  Redoc.init(container.dataset.specUrl, {nonce: container.dataset.styleNonce, disableSearch: true}, container);
})();
