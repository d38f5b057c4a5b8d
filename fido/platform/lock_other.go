//go:build !unix

package platform

// lockDir is the in-process lock only on systems without flock (Windows):
// two instances of the app there may race on the store.
func lockDir(dir string) (func(), error) { return func() {}, nil }
