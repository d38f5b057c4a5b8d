// Passkey Desk phone enrollment page. The one-time link carries its token
// in the fragment (/enroll#TOKEN) or the path (/e/TOKEN). The page keeps it
// in sessionStorage with a random device key, so a reload on this phone
// continues while another phone opening the same link is refused.
//
// Opening the link gives a match code, which the page shows for the user
// to type on the computer; the page then waits (a long poll) until the
// computer has taken it, and only then offers to create the passkey.
//
// A link already open elsewhere (another phone, browser or tab) is
// refused; the computer hears of it and may let this page take over, so
// the page says so and tries again every few seconds. Every refusal is
// put in words that say what to do next.
"use strict";

(function () {
  const { $, fail, clearMessage, linkToken, deviceKey, caller, usable, creationOptions, credentialJSON } = window.PasskeyDesk;
  const show = window.PasskeyDesk.stepper(["step-loading", "step-code", "step-elsewhere", "step-create", "step-done"]);
  // held is true once this page has held the link: a refusal after that
  // means another device took it over.
  let held = false;
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // The token is in the fragment (/enroll#TOKEN) or the path (/e/TOKEN).
  const link = linkToken("passkeydesk-link", "/enroll", /^\/e\/([A-Za-z0-9_-]+)$/);
  const device = deviceKey("passkeydesk-device-" + link);
  const call = caller("/api/phone/", { link: link, device: device });

  const again = " On your computer, choose \u201cNew QR code\u201d (or add the passkey again) and scan the new code.";

  // words puts a refusal in a sentence that says what to do next.
  function words(e) {
    switch (e.code) {
      case "in-use":
        return "Another device took over this enrollment, as chosen on your computer. Go on there, or start again:" + again;
      case "done":
        return "This link was already used: the passkey is added. You can close this page.";
      case "expired":
        return "This link has expired." + again;
      case "canceled":
        return "The enrollment was canceled" + (e.reason ? " (" + e.reason + ")" : "") + "." + again;
      case "ended":
        return "This link has expired or was already used." + again;
      case "rate-limited":
        return "Too many tries from this network. Wait a minute, then reload this page.";
    }
    const m = e.message || "Something went wrong.";
    return m.charAt(0).toUpperCase() + m.slice(1) + (/[.!?]$/.test(m) ? "" : ".");
  }

  // stop shows a refusal in words and ends the page's part.
  function stop(e) {
    show("");
    fail(words(e));
  }

  // "123 456": easier to read out and type.
  function spaced(code) {
    return code.length === 6 ? code.slice(0, 3) + " " + code.slice(3) : code;
  }

  function state(page) {
    held = true;
    $("message").hidden = true;
    if (page.email) {
      $("email").textContent = page.email;
      $("account").hidden = false;
    }
    if (page.state === "opened") {
      $("match-code").textContent = spaced(page.code || "");
      show("step-code");
      waitForComputer(page.state);
    } else {
      show("step-create");
      $("create").focus();
    }
  }

  // waitForComputer asks the service, again and again, to answer once the
  // state is no longer seen: the computer took the code, or the enrollment
  // ended (an error). A lost connection is tried again a few times.
  async function waitForComputer(seen) {
    let lost = 0;
    for (;;) {
      let page;
      try {
        page = await call("wait", { state: seen });
        lost = 0;
      } catch (e) {
        if (e instanceof TypeError && ++lost < 5) {
          await sleep(1000 * lost);
          continue;
        }
        stop(e);
        return;
      }
      if (page.state !== seen) {
        state(page);
        return;
      }
    }
  }

  async function open() {
    if (!usable(link, show)) return;
    for (;;) {
      try {
        state(await call("open"));
        return;
      } catch (e) {
        if (e.code !== "in-use" || held) {
          stop(e);
          return;
        }
        // Open elsewhere: the computer may let this page take over.
        show("step-elsewhere");
        await sleep(3000);
      }
    }
  }

  $("create").addEventListener("click", async () => {
    clearMessage();
    $("create").disabled = true;
    try {
      const options = creationOptions(await call("options"));
      const cred = await navigator.credentials.create(options);
      const done = await call("result", { credential: credentialJSON(cred) });
      $("passkey-name").textContent = done.name;
      show("step-done");
    } catch (e) {
      if (e.name === "NotAllowedError") {
        fail("No passkey was saved. Try again, and allow it when your phone asks.");
      } else if (e.name === "InvalidStateError") {
        fail("This phone already holds a passkey for this account.");
      } else if (["in-use", "done", "expired", "canceled", "ended"].includes(e.code)) {
        stop(e);
      } else if (e.code) {
        fail(words(e));
      } else {
        fail(e.message);
      }
    } finally {
      $("create").disabled = false;
    }
  });

  open();
})();
