// A moderator's session in the real GraphiQL, in Debian's Chromium driven by playwright-core:
// a resident is refused first (production), then the moderator signs in, runs ReportQueue
// from the contract, hides the reported post with Moderate, keeps a screenshot, watches the
// neighbourhood's new posts with the contract's PostAdded subscription (over a websocket)
// while a resident posts, keeps a second screenshot, signs out. Run by tests/test_browser.py,
// which seeds the data and starts uvicorn.
//
// Environment: QUARTIER_URL (the server), QUARTIER_MODERATOR_EMAIL, QUARTIER_MODERATOR_PASSWORD,
// QUARTIER_RESIDENT_EMAIL, QUARTIER_RESIDENT_PASSWORD, QUARTIER_POST_ID (the reported post's
// global ID), QUARTIER_SCREENSHOT (a .png path), QUARTIER_NEIGHBOURHOOD_ID (where the resident
// posts), QUARTIER_RESIDENT_TOKEN (theirs).
// Exits 0 when every step passed; otherwise 1, with the failed step on stderr.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

const CHROMIUM = "/usr/bin/chromium";
// This machine's network is closed: without these, Chromium keeps calling Google's hosts
// (and is refused, many times at each start). --user-data-dir comes from the launch below.
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const STEP_TIMEOUT_MS = 20_000;
const TOTAL_TIMEOUT_MS = 80_000;
const HERE = dirname(fileURLToPath(import.meta.url));
const CONTRACT = join(HERE, "..", "contract", "moderation", "moderation.graphql");
const LIVE = join(HERE, "..", "contract", "web", "live.graphql");
const REASON = "Annonce commerciale hors sujet (test navigateur).";
const NOT_STAFF =
  "GraphiQL est réservé à la modération : ce compte n'a ni le rôle MODERATOR ni le rôle ADMIN.";

const QUERY_EDITOR = ".graphiql-query-editor .CodeMirror";
const VARIABLES_EDITOR = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror";
const RESPONSE = ".graphiql-response .CodeMirror";

class Failure extends Error {}

function setting(name) {
  const value = process.env[name];
  if (!value) throw new Failure(`${name} is not set`);
  return value;
}

/** One operation of a contract document, as a moderator would paste it. */
function contractOperation(name, document = CONTRACT) {
  const text = readFileSync(document, "utf8");
  const blocks = text.split(/\n(?=(?:query|mutation|subscription) )/);
  const block = blocks.find((b) => new RegExp(`^(query|mutation|subscription) ${name}\\b`).test(b));
  if (!block) throw new Failure(`no operation ${name} in ${document}`);
  return block.trim() + "\n";
}

async function step(name, action) {
  const started = Date.now();
  try {
    const result = await action();
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
    return result;
  } catch (error) {
    throw new Failure(`${name}: ${error.message}`);
  }
}

async function editorValue(page, selector) {
  return page.locator(selector).evaluate((element) => element.CodeMirror.getValue());
}

/** Types into a CodeMirror editor through the keyboard, as a person pasting would. */
async function typeInto(page, selector, text) {
  await page.locator(selector).click();
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Delete");
  await page.keyboard.insertText(text);
  const typed = await editorValue(page, selector);
  if (typed !== text) throw new Error(`the editor holds ${JSON.stringify(typed)}`);
}

/** Clicks ▶ and waits for a response other than the one shown before. */
async function run(page) {
  const before = await editorValue(page, RESPONSE);
  await page.locator(".graphiql-execute-button").click();
  const handle = await page.waitForFunction(
    ([selector, previous]) => {
      const value = document.querySelector(selector).CodeMirror.getValue();
      return value && value !== previous && !document.querySelector(".graphiql-spinner")
        ? value
        : null;
    },
    [RESPONSE, before],
    { timeout: STEP_TIMEOUT_MS }
  );
  return JSON.parse(await handle.jsonValue());
}

function expect(condition, message, response) {
  if (!condition) throw new Error(`${message}; the response pane shows ${JSON.stringify(response)}`);
}

/** /graphql sends a browser without a session to the sign-in form, which this fills in. */
async function submitSignIn(page, base, email, password) {
  await page.goto(`${base}/graphql`);
  await page.waitForURL(`${base}/graphql/sign-in`);
  await page.getByLabel("Adresse e-mail").fill(email);
  await page.getByLabel("Mot de passe").fill(password);
  await page.getByRole("button", { name: "Se connecter" }).click();
}

async function signIn(page, base, email, password) {
  await submitSignIn(page, base, email, password);
  await page.waitForURL(`${base}/graphql`);
  await page.locator(QUERY_EDITOR).waitFor();
  // GraphiQL fetched the schema (introspection, allowed to moderators): the docs show it.
  await page.getByRole("button", { name: "Show Documentation Explorer" }).click();
  await page.locator(".graphiql-doc-explorer").getByText("Query", { exact: true }).waitFor();
  await page.getByRole("button", { name: "Hide Documentation Explorer" }).click();
}

/** A resident's sign-in: the page stays on the sign-in form and shows the refusal. */
async function refusedSignIn(page, base, email, password) {
  await submitSignIn(page, base, email, password);
  await page.getByRole("alert").filter({ hasText: NOT_STAFF }).waitFor();
  if (page.url() !== `${base}/graphql/sign-in`) throw new Error(`the page went to ${page.url()}`);
  await page.getByRole("button", { name: "Se connecter" }).and(page.locator(":enabled")).waitFor();
}

async function reportQueue(page, postId) {
  await typeInto(page, QUERY_EDITOR, contractOperation("ReportQueue"));
  const response = await run(page);
  const nodes = (response.data?.reports?.edges ?? []).map((edge) => edge.node);
  const reported = nodes.find((node) => node.content?.id === postId);
  expect(reported, `no report of post ${postId} in the queue`, response);
  expect(reported.content.hidden === false, "the post is already hidden", response);
  expect(reported.status === "OPEN", "the report is not OPEN", response);
  return reported;
}

async function hidePost(page, postId) {
  const variables = { input: { kind: "HIDE_CONTENT", reason: REASON, contentIds: [postId] } };
  await typeInto(page, QUERY_EDITOR, contractOperation("Moderate"));
  await page.getByRole("button", { name: "Variables" }).click();
  await typeInto(page, VARIABLES_EDITOR, JSON.stringify(variables, null, 2));
  const response = await run(page);
  const result = response.data?.moderate;
  expect(result && result.userErrors.length === 0, "Moderate gave user errors", response);
  const hide = result.actions.find((action) => action.kind === "HIDE_CONTENT");
  expect(hide, "Moderate recorded no HIDE_CONTENT action", response);
  expect(hide.reason === REASON, "the action does not carry the reason", response);
  return hide;
}

async function createPost(base, token, title) {
  const response = await fetch(`${base}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({
      query: "mutation($i: CreatePostInput!) { createPost(input: $i) { post { id } userErrors { code } } }",
      variables: { i: { kind: "ITEM_GIVEAWAY", title, body: "Au 12, à prendre samedi." } },
    }),
  });
  const result = await response.json();
  const created = result.data?.createPost;
  if (!created || created.userErrors.length) throw new Error(`createPost: ${JSON.stringify(result)}`);
  return created.post.id;
}

/** Runs PostAdded; a resident posts until the event shows in the response pane (the
 *  subscription starts a moment after the click), then the subscription is stopped. */
async function watchPosts(page, base, neighbourhoodId, residentToken) {
  await typeInto(page, QUERY_EDITOR, contractOperation("PostAdded", LIVE));
  await typeInto(page, VARIABLES_EDITOR, JSON.stringify({ neighbourhoodId }, null, 2));
  await page.locator(".graphiql-execute-button").click();
  for (let attempt = 1; attempt <= 40; attempt += 1) {
    const title = `Vide-grenier n° ${attempt}`;
    const postId = await createPost(base, residentToken, title);
    const shown = await page
      .waitForFunction(
        ([selector, id]) => {
          const value = document.querySelector(selector).CodeMirror.getValue();
          return value.includes(id) ? value : null;
        },
        [RESPONSE, postId],
        { timeout: 500 }
      )
      .catch(() => null);
    if (shown) {
      const response = JSON.parse(await shown.jsonValue());
      const added = response.data?.postAdded;
      expect(added?.title === title, "the event is not the new post", response);
      expect(added.author?.displayName, "the moderator does not see the author", response);
      return added;
    }
  }
  throw new Error("no post reached the subscription");
}

async function stopSubscription(page) {
  // While a subscription runs, the ▶ button is a ■ that stops it.
  const button = page.locator(".graphiql-execute-button");
  const label = await button.getAttribute("aria-label");
  if (label !== "Stop query (Ctrl-Enter)") throw new Error(`the button says ${label}`);
  await button.click();
  await page.locator('.graphiql-execute-button[aria-label="Execute query (Ctrl-Enter)"]').waitFor();
}

async function signOut(page, base) {
  await page.getByRole("button", { name: "Se déconnecter" }).click();
  await page.waitForURL(`${base}/graphql/sign-in?raison=sortie`);
  await page.goto(`${base}/graphql`);
  await page.waitForURL(`${base}/graphql/sign-in`);
}

async function main() {
  const base = setting("QUARTIER_URL").replace(/\/$/, "");
  const email = setting("QUARTIER_MODERATOR_EMAIL");
  const password = setting("QUARTIER_MODERATOR_PASSWORD");
  const residentEmail = setting("QUARTIER_RESIDENT_EMAIL");
  const residentPassword = setting("QUARTIER_RESIDENT_PASSWORD");
  const postId = setting("QUARTIER_POST_ID");
  const screenshot = setting("QUARTIER_SCREENSHOT");
  const neighbourhoodId = setting("QUARTIER_NEIGHBOURHOOD_ID");
  const residentToken = setting("QUARTIER_RESIDENT_TOKEN");

  const profile = mkdtempSync(join(tmpdir(), "quartier-chromium-"));
  const context = await step("start Chromium", () =>
    chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: { width: 1440, height: 900 },
      locale: "fr-BE",
    })
  );
  const problems = [];
  // The refusal is a 403 that Chromium reports on the console: expected, during that step.
  let refusing = false;
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    page.on("pageerror", (error) => problems.push(`uncaught: ${error.message}`));
    page.on("console", (message) => {
      const refusal = refusing && message.text().includes("status of 403");
      if (message.type() === "error" && !refusal) {
        problems.push(`console: ${message.text()} (${message.location().url || "no url"})`);
      }
    });

    refusing = true;
    await step("a resident is refused GraphiQL", () =>
      refusedSignIn(page, base, residentEmail, residentPassword)
    );
    refusing = false;
    await step("sign in as a moderator", () => signIn(page, base, email, password));
    const report = await step("run ReportQueue", () => reportQueue(page, postId));
    console.log(`     queue: ${report.content.title} (${report.reportCount} report(s), ${report.reason})`);
    const action = await step("hide the post with Moderate", () => hidePost(page, postId));
    console.log(`     action: ${action.kind} ${action.subjectId} by ${action.moderator?.displayName}`);
    await step("take the screenshot", () => page.screenshot({ path: screenshot }));
    console.log(`     screenshot: ${screenshot}`);
    const added = await step("watch new posts with PostAdded", () =>
      watchPosts(page, base, neighbourhoodId, residentToken)
    );
    console.log(`     event: ${added.kind} « ${added.title} » by ${added.author.displayName}`);
    const live = screenshot.replace(/\.png$/, "-subscription.png");
    await step("take the subscription's screenshot", () => page.screenshot({ path: live }));
    console.log(`     screenshot: ${live}`);
    await step("stop the subscription", () => stopSubscription(page));
    await step("sign out", () => signOut(page, base));
    if (problems.length) throw new Failure(`the page reported errors:\n  ${problems.join("\n  ")}`);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

setTimeout(() => {
  console.error(`graphiql.mjs: gave up after ${TOTAL_TIMEOUT_MS / 1000} s`);
  process.exit(1);
}, TOTAL_TIMEOUT_MS).unref();

const started = Date.now();
main().then(
  () => {
    console.log(`passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    process.exit(0);
  },
  (error) => {
    console.error(`graphiql.mjs: ${error instanceof Failure ? error.message : error.stack}`);
    process.exit(1);
  }
);
