// Passkey Desk phone sign-in page. The one-time link carries its token in
// the fragment (/signin#TOKEN). The page shows which computer asks (the
// name it gave, its address as the service saw it, the time), takes the
// code that computer shows, then asks this phone for a passkey. The
// session goes to the computer, never to this page.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const steps = ["step-loading", "step-code", "step-done"];

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

  // The link token, then out of the address bar (so it is not shared or
  // bookmarked by accident); a reload finds it in sessionStorage.
  function linkToken() {
    const t = location.hash.replace(/^#/, "");
    if (t) {
      sessionStorage.setItem("passkeydesk-signin-link", t);
      history.replaceState(null, "", "/signin");
      return t;
    }
    return sessionStorage.getItem("passkeydesk-signin-link") || "";
  }

  const link = linkToken();

  async function call(path, body) {
    const res = await fetch("/api/phone/signin/" + path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "same-origin",
      cache: "no-store",
      body: JSON.stringify(Object.assign({ link: link }, body || {})),
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

  // Decode the base64url fields of PublicKeyCredentialRequestOptions
  // (WebAuthn §5.5) into the buffers navigator.credentials.get wants.
  function requestOptions(json) {
    const pk = json.publicKey;
    pk.challenge = b64urlToBytes(pk.challenge);
    if (pk.allowCredentials) {
      for (const c of pk.allowCredentials) c.id = b64urlToBytes(c.id);
    }
    return { publicKey: pk };
  }

  // Encode the assertion (WebAuthn §5.2.2) as the JSON the service checks.
  function assertionJSON(cred) {
    const r = cred.response;
    return {
      id: cred.id,
      rawId: bytesToB64url(cred.rawId),
      type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      response: {
        clientDataJSON: bytesToB64url(r.clientDataJSON),
        authenticatorData: bytesToB64url(r.authenticatorData),
        signature: bytesToB64url(r.signature),
        userHandle: r.userHandle ? bytesToB64url(r.userHandle) : undefined,
      },
      clientExtensionResults: cred.getClientExtensionResults(),
    };
  }

  // The code as typed: spaces and dashes dropped before anything else.
  function typedCode() {
    return $("code").value.replace(/[\s\u2010-\u2015\u2212-]/g, "");
  }

  let computer = "";
  let options = null; // kept once given: the code is taken once

  async function open() {
    if (!link) {
      show("");
      fail("This page needs the link from the QR code on your computer.");
      return;
    }
    if (!window.PublicKeyCredential || !navigator.credentials) {
      show("");
      fail("This browser cannot use passkeys. Open the link in Safari or Chrome.");
      return;
    }
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
