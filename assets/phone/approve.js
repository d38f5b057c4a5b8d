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
  const { $, fail, clearMessage, linkToken, deviceKey, caller, usable, requestOptions, assertionJSON } = window.PasskeyDesk;
  const show = window.PasskeyDesk.stepper(["step-loading", "step-review", "step-done"]);

  const link = linkToken("passkeydesk-approval-link", "/approve");
  const device = deviceKey("passkeydesk-approval-device-" + link);
  const call = caller("/api/phone/approval/", { link: link, device: device });

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
    if (!usable(link, show)) return;
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
