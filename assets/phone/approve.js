// Passkey Desk approval page ("Approve on your phone"). The one-time link
// carries its token in the fragment (/approve#TOKEN). The page keeps it in
// sessionStorage with a random device key, so a reload on this phone
// continues while another phone opening the same link is refused.
//
// Opening the link shows one operation: what, how much, where to, who
// asks, and the time left. Approve asks the phone for a passkey assertion
// over the challenge the service gives, which commits to exactly these
// details; Deny records a denial. Either uses the link up.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const steps = ["step-loading", "step-review", "step-done"];

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

  // The link token: from the fragment, then out of the address bar (so it
  // is not shared or bookmarked by accident).
  function linkToken() {
    const t = location.hash.replace(/^#/, "");
    if (t) {
      sessionStorage.setItem("passkeydesk-approval-link", t);
      history.replaceState(null, "", "/approve");
      return t;
    }
    return sessionStorage.getItem("passkeydesk-approval-link") || "";
  }

  const link = linkToken();
  let device = sessionStorage.getItem("passkeydesk-approval-device-" + link);
  if (!device) {
    device = randomKey();
    sessionStorage.setItem("passkeydesk-approval-device-" + link, device);
  }

  async function call(path, body) {
    const res = await fetch("/api/phone/approval/" + path, {
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

  const kinds = {
    withdrawal: "Withdrawal",
    deposit: "Deposit",
    "c2c-trade": "C2C trade",
    "sign-in-elsewhere": "Sign-in from another place",
  };

  function row(term, value) {
    if (!value) return;
    const dt = document.createElement("dt");
    dt.textContent = term;
    const dd = document.createElement("dd");
    dd.textContent = value;
    $("details").append(dt, dd);
  }

  // The address in groups of four, easier to compare; copying it gives
  // the address without spaces.
  function showDestination(address) {
    const box = $("destination");
    box.textContent = "";
    for (let i = 0; i < address.length; i += 4) {
      const span = document.createElement("span");
      span.textContent = address.slice(i, i + 4);
      box.append(span);
    }
    $("destination-box").hidden = false;
  }

  let deadline = 0; // the link's end on this phone's clock, in ms
  let timer = 0;
  let decided = false;

  function tick() {
    const left = Math.max(0, Math.floor((deadline - Date.now()) / 1000));
    const m = Math.floor(left / 60);
    const s = left % 60;
    $("time-left").textContent = "Time left: " + m + ":" + (s < 10 ? "0" : "") + s;
    if (left === 0 && !decided) {
      clearInterval(timer);
      $("approve").disabled = true;
      $("deny").disabled = true;
      fail("This request has expired. Show a new QR code on your computer.");
    }
  }

  function review(page) {
    if (page.email) {
      $("email").textContent = page.email;
      $("account").hidden = false;
    }
    $("kind").textContent = kinds[page.kind] || page.kind;
    if (page.amount) {
      $("amount").textContent = page.amount + " " + (page.asset || "");
      $("amount").hidden = false;
    }
    if (page.destination) showDestination(page.destination);
    row("Network", page.network);
    row("Fee", page.fee ? page.fee + " " + (page.asset || "") : "");
    row("Counterparty", page.counterparty);
    row("Reference", page.reference);
    row("Requested by", page.requester);
    row("Requested at", new Date(page.createdAt).toLocaleString());
    // Count down on the service's clock: the phone's may be off.
    deadline = Date.now() + (Date.parse(page.expiresAt) - Date.parse(page.now));
    tick();
    timer = setInterval(tick, 1000);
    show("step-review");
    $("approve").focus();
  }

  function done(outcome, text) {
    decided = true;
    clearInterval(timer);
    $("outcome").textContent = text;
    $("outcome").className = outcome === "approved" ? "ok" : "denied";
    show("step-done");
  }

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
      review(await call("open"));
    } catch (e) {
      show("");
      fail(e.message);
    }
  }

  function busy(on) {
    $("approve").disabled = on;
    $("deny").disabled = on;
  }

  $("approve").addEventListener("click", async () => {
    clearMessage();
    busy(true);
    try {
      const options = requestOptions(await call("options"));
      const cred = await navigator.credentials.get(options);
      const out = await call("finish", { credential: assertionJSON(cred) });
      done(out.state, "Approved" + (out.passkeyName ? " with " + out.passkeyName : "") + ".");
    } catch (e) {
      if (e.name === "NotAllowedError") {
        fail("Nothing was approved. Try again, and allow it when your phone asks.");
      } else {
        fail(e.message);
      }
      busy(false);
    }
  });

  $("deny").addEventListener("click", async () => {
    clearMessage();
    busy(true);
    try {
      const out = await call("deny");
      done(out.state, "Denied. The operation will not go ahead.");
    } catch (e) {
      fail(e.message);
      busy(false);
    }
  });

  open();
})();
