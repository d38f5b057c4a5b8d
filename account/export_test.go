package account

// PhonePasskeyName exposes phonePasskeyName to the package's tests.
var PhonePasskeyName = phonePasskeyName
