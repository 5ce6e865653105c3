// GraphiQL for kb's /graphql: the vendored React, ReactDOM and GraphiQL builds define the globals used here.
// A file of its own, not an inline script: the page's content security policy allows scripts of this origin only.
"use strict";
(function () {
  var root = document.getElementById("graphiql");
  // The URL this page was loaded from is the endpoint (kb serves both at /graphql), wherever kb is mounted.
  var url = window.location.href.split(/[?#]/)[0];
  var fetcher = GraphiQL.createFetcher({ url: url });
  var defaultQuery = [
    "# kb's GraphQL API. Ctrl-Enter runs the query; the book at the top left documents every field.",
    "{",
    "  people(first: 5) {",
    "    totalCount",
    "    nodes { id name }",
    "  }",
    "}",
    "",
  ].join("\n");
  root.textContent = "";
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, { fetcher: fetcher, defaultQuery: defaultQuery }),
  );
})();
