// Starts GraphiQL with the token that the sign-in page kept for this tab. A file of its own,
// not an inline script: the page's Content-Security-Policy allows none.
(function () {
  "use strict";

  var TOKEN_KEY = "quartier.graphiql.token";
  var DEFAULT_QUERY =
    "# GraphiQL de modération de Quartier.\n" +
    "# Collez une opération du contrat (moderation/moderation.graphql), par exemple\n" +
    "# ReportQueue, puis lancez-la avec le bouton ▶ ou Ctrl-Entrée.\n";

  var token = sessionStorage.getItem(TOKEN_KEY);
  var required = document.body.dataset.signIn === "required";
  if (required && !token) {
    // The cookie let the page through, but this tab holds no token (a new tab, say).
    location.replace("/graphql/sign-in?raison=session");
    return;
  }

  var signIn = document.getElementById("quartier-sign-in");
  var signOut = document.getElementById("quartier-sign-out");
  signIn.hidden = Boolean(token);
  signOut.hidden = !token;
  signOut.addEventListener("click", function () {
    sessionStorage.removeItem(TOKEN_KEY);
    fetch("/graphql/session", { method: "DELETE", credentials: "same-origin" }).finally(
      function () {
        location.assign("/graphql/sign-in?raison=sortie");
      }
    );
  });

  // Subscriptions go over a websocket (graphql-transport-ws), the token in connection_init:
  // a browser cannot put headers on a websocket.
  var scheme = location.protocol === "https:" ? "wss://" : "ws://";
  var wsClient = graphqlWs.createClient({
    url: scheme + location.host + "/graphql",
    connectionParams: token ? { Authorization: "Bearer " + token } : {},
    lazy: true,
  });
  var fetcher = GraphiQL.createFetcher({
    url: "/graphql",
    headers: token ? { Authorization: "Bearer " + token } : {},
    wsClient: wsClient,
  });
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: DEFAULT_QUERY,
      defaultEditorToolbarOpen: true,
      // The token travels in the fetcher, never in the headers editor nor in localStorage.
      shouldPersistHeaders: false,
    })
  );
})();
