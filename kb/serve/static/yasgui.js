// YASGUI for kb's /sparql: the vendored build defines the global Yasgui. A file of its own, not an inline
// script: the page's content security policy allows scripts of this origin only.
"use strict";
(function () {
  var element = document.getElementById("yasgui");
  // The URL this page was loaded from is the endpoint (kb serves both at /sparql), wherever kb is mounted.
  var endpoint = window.location.href.split(/[?#]/)[0];
  var query = element.getAttribute("data-query");
  var yasgui = new Yasgui(element, {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    // The query comes from the page (data-query), not from YASGUI's own reading of the URL.
    populateFromUrl: false,
    // Only what needs no other host: the "property" and "class" completers ask lov.linkeddata.es.
    yasqe: { autocompleters: ["prefixes", "variables"] },
  });
  var tab = yasgui.getTab();
  if (tab.getEndpoint() !== endpoint) {
    tab.setEndpoint(endpoint);
  }
  if (query) {
    tab.setQuery(query);
  }
})();
