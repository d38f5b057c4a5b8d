package account

// ExpireDue exposes expireDue, which a watch runs on its timer, to the
// package's tests.
var ExpireDue = (*Service).expireDue
