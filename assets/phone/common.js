// Passkey Desk phone pages: what the enrollment (app.js), sign-in
// (signin.js) and approval (approve.js) pages share. Each page loads this
// file first; it defines window.PasskeyDesk and nothing else.
"use strict";

window.PasskeyDesk = (function () {
  const $ = (id) => document.getElementById(id);

  // stepper returns show(step): the section with that id is shown, the
  // page's other steps hidden ("" hides them all).
  function stepper(ids) {
    return (step) => {
      for (const s of ids) $(s).hidden = s !== step;
    };
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

  // linkToken is the one-time link's token: from the fragment (or, when
  // pathPattern is given, its first group in the path), kept in
  // sessionStorage under name so a reload finds it, then taken out of
  // the address bar (so it is not shared or bookmarked by accident).
  function linkToken(name, cleanPath, pathPattern) {
    let t = location.hash.replace(/^#/, "");
    const m = pathPattern ? location.pathname.match(pathPattern) : null;
    if (!t && m) t = m[1];
    if (t) {
      sessionStorage.setItem(name, t);
      history.replaceState(null, "", cleanPath);
      return t;
    }
    return sessionStorage.getItem(name) || "";
  }

  // deviceKey is this browser's random key for a link, kept in
  // sessionStorage under name: a reload here goes on, another device
  // holding the same link is told apart.
  function deviceKey(name) {
    let d = sessionStorage.getItem(name);
    if (!d) {
      const b = new Uint8Array(16);
      crypto.getRandomValues(b);
      d = bytesToB64url(b);
      sessionStorage.setItem(name, d);
    }
    return d;
  }

  // caller returns call(path, body): a same-origin POST of fields and body
  // as JSON to base + path, giving the answer's JSON; a refusal throws an
  // Error with the service's message, its code and its reason.
  function caller(base, fields) {
    return async function call(path, body) {
      const res = await fetch(base + path, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        credentials: "same-origin",
        cache: "no-store",
        body: JSON.stringify(Object.assign({}, fields, body || {})),
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
    };
  }

  // usable says on the page why it cannot go on (no link, no passkeys in
  // this browser), hiding its steps with show; it reports whether it can.
  function usable(link, show) {
    if (!link) {
      show("");
      fail("This page needs the link from the QR code on your computer.");
      return false;
    }
    if (!window.PublicKeyCredential || !navigator.credentials) {
      show("");
      fail("This browser cannot use passkeys. Open the link in Safari or Chrome.");
      return false;
    }
    return true;
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

  // Encode a new credential (WebAuthn §5.1) as the JSON the service
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

  // Encode an assertion (WebAuthn §5.2.2) as the JSON the service checks.
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

  return {
    $, stepper, fail, clearMessage, linkToken, deviceKey, caller, usable,
    creationOptions, requestOptions, credentialJSON, assertionJSON,
  };
})();
