package account

// PhonePasskeyName exposes phonePasskeyName to the package's tests.
var PhonePasskeyName = phonePasskeyName

// BrowserOf exposes browserOf to the package's tests.
var BrowserOf = browserOf
