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
  const $ = (id) => document.getElementById(id);
  const steps = ["step-loading", "step-code", "step-elsewhere", "step-create", "step-done"];
  // held is true once this page has held the link: a refusal after that
  // means another device took it over.
  let held = false;
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  function show(step) {
    for (const s of steps) $(s).hidden = s !== step;
  }

  function fail(text) {
    const m = $("message");
    m.textContent = text;
    m.hidden = false;
  }

  function clearMessage() {
    $("message").hidden = true;
  }

  function b64urlToBytes(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function bytesToB64url(buf) {
    const bytes = new Uint8Array(buf);
    let bin = "";
    for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function randomKey() {
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return bytesToB64url(b);
  }

  // The link token: from the fragment or the path, then out of the
  // address bar (so it is not shared or bookmarked by accident).
  function linkToken() {
    let t = location.hash.replace(/^#/, "");
    const m = location.pathname.match(/^\/e\/([A-Za-z0-9_-]+)$/);
    if (!t && m) t = m[1];
    if (t) {
      sessionStorage.setItem("passkeydesk-link", t);
      history.replaceState(null, "", "/enroll");
      return t;
    }
    return sessionStorage.getItem("passkeydesk-link") || "";
  }

  const link = linkToken();
  let device = sessionStorage.getItem("passkeydesk-device-" + link);
  if (!device) {
    device = randomKey();
    sessionStorage.setItem("passkeydesk-device-" + link, device);
  }

  async function call(path, body) {
    const res = await fetch("/api/phone/" + path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "same-origin",
      cache: "no-store",
      body: JSON.stringify(Object.assign({ link: link, device: device }, body || {})),
    });
    let data = null;
    try {
      data = await res.json();
    } catch (e) {
      data = null;
    }
    if (!res.ok) {
      const err = new Error((data && data.message) || "The service answered " + res.status + ".");
      err.code = data && data.error;
      err.reason = data && data.reason;
      throw err;
    }
    return data;
  }

  // Decode the base64url fields of PublicKeyCredentialCreationOptions
  // (WebAuthn §5.4) into the buffers navigator.credentials.create wants.
  function creationOptions(json) {
    const pk = json.publicKey;
    pk.challenge = b64urlToBytes(pk.challenge);
    pk.user.id = b64urlToBytes(pk.user.id);
    if (pk.excludeCredentials) {
      for (const c of pk.excludeCredentials) c.id = b64urlToBytes(c.id);
    }
    return { publicKey: pk };
  }

  // Encode a PublicKeyCredential (WebAuthn §5.1) as the JSON the service
  // verifies.
  function credentialJSON(cred) {
    const r = cred.response;
    return {
      id: cred.id,
      rawId: bytesToB64url(cred.rawId),
      type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      response: {
        clientDataJSON: bytesToB64url(r.clientDataJSON),
        attestationObject: bytesToB64url(r.attestationObject),
        transports: typeof r.getTransports === "function" ? r.getTransports() : [],
      },
      clientExtensionResults: cred.getClientExtensionResults(),
    };
  }

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
    if (!link) {
      show("");
      fail("This page needs the link from the QR code on your computer.");
      return;
    }
    if (!window.PublicKeyCredential || !navigator.credentials) {
      show("");
      fail("This browser cannot create passkeys. Open the link in Safari or Chrome.");
      return;
    }
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
