package main

import (
	"log/slog"
	"sync"

	"fyne.io/fyne/v2"
)

// desktopNotifier returns how the app sends desktop notifications: send
// (the Fyne app's SendNotification), once a probe has found somewhere to
// send them. Where there is none (no notification service on the session
// bus, or no bus), Fyne would log three lines for every notification;
// instead this says so once, when the first one is due, and the rest are
// dropped quietly. probe is notificationService.
func desktopNotifier(send func(*fyne.Notification), probe func() error, log *slog.Logger) func(*fyne.Notification) {
	var once sync.Once
	var off bool
	return func(n *fyne.Notification) {
		once.Do(func() {
			if err := probe(); err != nil {
				off = true
				log.Info("desktop notifications are off; approvals show in the app only", "reason", err)
			}
		})
		if !off {
			send(n)
		}
	}
}
