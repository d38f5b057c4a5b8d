// Package ui is Passkey Desk's user interface, built with Fyne.
//
// New builds the app's one window on an account.API (the in-process
// service, or account/remote's client of an account server) and a
// TokenStore (the OS keyring). Each screen lives in its own file as a
// small struct that holds its widgets and dependencies and has a build
// method returning its content.
//
// # Map
//
// Basic files: building blocks with no screen of their own, which every
// screen may use; they do not reach into the screens (app.go, the root,
// only starts them).
//
//   - app.go: App, New, the window, the threading (run, runIn, deliver)
//     and fail, which puts an error on a feedback strip.
//   - errors.go: every error in words (describe) and every error type of
//     the UI; servererrors.go: an account server's failures in words.
//   - feedback.go: the strip under a form (busy, error, notice) and message.
//   - layout.go: columns, pages, headings, paragraphs, the 800×600 fit.
//   - theme.go: light, dark or the system's.
//   - clipboard.go: copying a secret, taken off the clipboard after a minute.
//   - codes.go: reading one-time codes as typed.
//   - tokens.go, keyring.go: TokenStore and its OS-keyring implementation.
//   - factorform.go: the entries that answer an identity verification.
//   - keywords.go: the words and numbers of keys and PINs: labels,
//     timeouts, PIN rules, tries and times in words.
//   - prompt.go: the prompt room: the PIN, touch and waiting steps of every
//     flow that talks to an authenticator, and its one Cancel.
//   - keysession.go: an open security key, its ordered work, its
//     operation and its close (with a deadline).
//
// Screens and flows:
//
//   - signup.go: first run (the account, the TOTP QR code, the first code);
//     signin.go: sign in with password and code; passkeysignin.go: sign in
//     with a passkey.
//   - shell.go: the signed-in window and its navigation; restricted.go:
//     the banner and check of a session signed in with a passkey that
//     looks copied.
//   - overview.go: the security overview; activity.go: the activity log
//     and its export.
//   - passkeys.go: the account's passkeys; removepasskey.go: removing one.
//   - addpasskey.go: the add-passkey wizard (verify, choose a method,
//     bind, name). Its methods: securitykey.go (the key list and opening a
//     key), keypin.go (a first PIN on the key), keytouch.go (registering
//     on the key and deleting a made passkey from it); phone.go (QR code,
//     the code the phone shows, live status; phonename.go, the name step
//     of a passkey the service saved when the phone sent it);
//     thiscomputer.go (local PIN, registering on this computer).
//     namestep.go: the name step of the methods whose passkey is saved
//     only once named; madepasskey.go: a made passkey until it is saved
//     (saved again after a failure, or deleted from the authenticator).
//   - passkeyassert.go: using a passkey the account has (sign-in,
//     approvals, identity checks); identitycheck.go: confirming it is the
//     person before a security change, by passkey or by password and codes.
//   - approvals.go: the approvals inbox and its watch; approvaldetail.go:
//     one approval, approved with a passkey or denied.
//   - keypanel.go: the security keys panel: the keys plugged in and the
//     chosen key's card. Its parts: keycreds.go (its PIN and the passkeys
//     on it), keypolicy.go (PIN change and key policy), keyreset.go (the
//     guided reset), keypick.go (pick by touch), keylost.go (marking the
//     account's passkeys lost after a reset or a delete),
//     keyfingerprints.go (the fingerprints of a key with a sensor).
//     simkeypanel.go: the simulated key's controls (--simulated-key), a
//     window of their own: Touch, Deny, Unplug, Plug in, "Touch needs a
//     click".
//   - settings.go: settings; policysettings.go: "Passkey required" and
//     holds; apikeys.go: service API keys; thiscomputersettings.go: this
//     computer's local PIN and starting over.
//   - changeauthenticator.go: moving to a new authenticator app (from
//     Settings); sessions.go: where the account is signed in, and
//     signing sessions out.
//
// Custom widgets and icons are in the subpackage ui/component.
//
// # Tests
//
// The tests of a file are in its _test.go twin, or in FILE_TOPIC_test.go
// when they are many (approvaldetail_expiry_test.go, keypanel_unplug_test.go):
// a screen's tests are found from its file's name. Tests that cross every
// screen have their own files: helpers_test.go (the harness: a service,
// soft keys through libfido2, a clock), fit_test.go (every screen at
// 800×600), window_test.go (the real window under Xvfb, with
// securitykey_window_test.go and keypanel_window_test.go) and
// app_server_test.go (the app on a server over HTTP).
//
// # Threading
//
// Every account.API call and every TokenStore call runs in a goroutine
// started by App.run and reports back on the UI goroutine through
// fyne.Do, so the UI goroutine never waits on the database, the network or
// the keyring. A screen shows a busy line and disables its submit button
// while its work runs. Security-key work runs the same way under a context
// its Cancel button ends; when the key asks for a PIN or a touch, the
// worker waits for the person while the UI goroutine stays free.
//
// # Secrets
//
// Passwords, codes, TOTP secrets, session and grant tokens are never
// logged and never written to a file. Errors are logged with their text,
// which the account service guarantees to be free of secrets. A secret
// the user copies (the authenticator secret, a new API key) is taken off
// the clipboard after a minute if it is still there (clipboard.go).
package ui
