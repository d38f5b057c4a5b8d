//go:build !linux

package main

// notificationService: outside Linux, Fyne's notifications need no bus.
func notificationService() error { return nil }
