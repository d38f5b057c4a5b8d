// Passkey Desk phone sign-in page. The one-time link carries its token in
// the fragment (/signin#TOKEN). The page shows which computer asks (the
// name it gave, its address as the service saw it, the time), takes the
// code that computer shows, then asks this phone for a passkey. The
// session goes to the computer, never to this page.
"use strict";

(function () {
  const { $, fail, clearMessage, linkToken, caller, usable, requestOptions, assertionJSON } = window.PasskeyDesk;
  const show = window.PasskeyDesk.stepper(["step-loading", "step-code", "step-done"]);

  const link = linkToken("passkeydesk-signin-link", "/signin");
  const call = caller("/api/phone/signin/", { link: link });

  // The code as typed: spaces and dashes dropped before anything else.
  function typedCode() {
    return $("code").value.replace(/[\s\u2010-\u2015\u2212-]/g, "");
  }

  let computer = "";
  let options = null; // kept once given: the code is taken once

  async function open() {
    if (!usable(link, show)) return;
    try {
      const page = await call("open");
      computer = page.Computer;
      $("computer").textContent = page.Computer;
      $("address").textContent = page.Address || "not known (the computer's own service)";
      $("asked-at").textContent = new Date(page.BegunAt).toLocaleString();
      show("step-code");
      $("code").focus();
    } catch (e) {
      show("");
      fail(e.message);
    }
  }

  $("code-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearMessage();
    const code = typedCode();
    if (!options && !/^[0-9]{6}$/.test(code)) {
      fail("Type the 6 digits your computer shows.");
      $("code").focus();
      return;
    }
    $("sign-in").disabled = true;
    try {
      if (!options) {
        try {
          options = await call("options", { code: code });
        } catch (e) {
          if (e.code === "wrong-code") {
            $("code").value = "";
            $("code").focus();
            throw new Error("That is not the code your computer shows. Check it and type it again.");
          }
          throw e;
        }
        $("code").disabled = true;
      }
      const cred = await navigator.credentials.get(requestOptions(JSON.parse(JSON.stringify(options))));
      const done = await call("finish", { assertion: assertionJSON(cred) });
      $("done-computer").textContent = computer;
      $("done-email").textContent = done.Email;
      show("step-done");
    } catch (e) {
      if (e.name === "NotAllowedError") {
        fail("No passkey was used. Try again, and allow it when your phone asks.");
      } else {
        fail(e.message);
      }
    } finally {
      $("sign-in").disabled = false;
    }
  });

  open();
})();
