// Passkey Desk phone enrollment page. The one-time link carries its token
// in the fragment (/enroll#TOKEN) or the path (/e/TOKEN). The page keeps it
// in sessionStorage with a random device key, so a reload on this phone
// continues while another phone opening the same link is refused.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const steps = ["step-loading", "step-code", "step-create", "step-done"];

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

  function state(page) {
    if (page.email) {
      $("email").textContent = page.email;
      $("account").hidden = false;
    }
    if (page.state === "code-confirmed") {
      show("step-create");
    } else {
      show("step-code");
      $("code").focus();
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
    try {
      state(await call("open"));
    } catch (e) {
      show("");
      fail(e.message);
    }
  }

  $("step-code").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearMessage();
    const code = $("code").value.replace(/\s/g, "");
    if (!/^[0-9]{6}$/.test(code)) {
      fail("Type the 6 digits shown on your computer.");
      return;
    }
    $("confirm").disabled = true;
    try {
      state(await call("confirm", { code: code }));
    } catch (e) {
      fail(e.message);
      if (e.code === "wrong-code") {
        $("code").value = "";
        $("code").focus();
      } else {
        show("");
      }
    } finally {
      $("confirm").disabled = false;
    }
  });

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
      } else {
        fail(e.message);
      }
    } finally {
      $("create").disabled = false;
    }
  });

  open();
})();
