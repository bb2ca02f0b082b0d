// The sign-in page of the moderators' GraphiQL. `login` gives a token; POST /graphql/session
// exchanges it for a short GraphiQL session: an HttpOnly cookie that lets the page through,
// and a token that this tab's GraphiQL sends in the Authorization header. A file of its own,
// not an inline script: the page's Content-Security-Policy allows none.
(function () {
  "use strict";

  var TOKEN_KEY = "quartier.graphiql.token";
  var LOGIN =
    "mutation Login($input: LoginInput!) {" +
    " login(input: $input) { token userErrors { field code message } } }";
  // The page carries its texts in the reader's language (server/ide_texts.py).
  var texts = document.body.dataset;
  var NOTICES = { session: texts.noticeSession, sortie: texts.noticeSortie };
  var LOGOUT = "mutation Logout { logout { ok } }";

  var form = document.getElementById("sign-in");
  var button = form.querySelector("button");
  var message = document.getElementById("message");
  var notice = document.getElementById("notice");

  function show(element, text) {
    element.textContent = text;
    element.hidden = !text;
  }

  async function login(email, password) {
    var response = await fetch("/graphql", {
      method: "POST",
      credentials: "omit",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({
        query: LOGIN,
        operationName: "Login",
        variables: { input: { email: email, password: password } },
      }),
    });
    var body = await response.json();
    if (body.errors && body.errors.length) throw new Error(body.errors[0].message);
    var result = body.data.login;
    if (result.userErrors.length) throw new Error(result.userErrors[0].message);
    return result.token;
  }

  // The server keeps a token it refuses a session to (the caller may use it elsewhere);
  // this one was made for GraphiQL alone, so the page ends it itself.
  async function logout(token) {
    await fetch("/graphql", {
      method: "POST",
      credentials: "omit",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        Authorization: "Bearer " + token,
      },
      body: JSON.stringify({ query: LOGOUT, operationName: "Logout" }),
    });
  }

  async function openSession(token) {
    var response = await fetch("/graphql/session", {
      method: "POST",
      credentials: "same-origin",
      headers: { Authorization: "Bearer " + token },
    });
    var body = await response.json();
    if (!response.ok) {
      await logout(token).catch(function () {});
      throw new Error(body.message);
    }
    return body.token;
  }

  var reason = new URLSearchParams(location.search).get("raison");
  show(notice, NOTICES[reason] || "");
  sessionStorage.removeItem(TOKEN_KEY);

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    show(message, "");
    button.disabled = true;
    try {
      var token = await login(form.email.value.trim(), form.password.value);
      sessionStorage.setItem(TOKEN_KEY, await openSession(token));
      location.assign("/graphql");
    } catch (error) {
      show(message, (error && error.message) || texts.failed);
      button.disabled = false;
    }
  });
})();
