package accounttest

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
)

// BenchRegistrations times b.N whole registrations of kind: the service's
// BeginRegistration, create (an authenticator answering the options with
// a credential) and FinishRegistration. Each binds a new account, made
// with the timer stopped, so no account's passkey list grows with b.N. It
// reports the median as "median-ms".
func BenchRegistrations(b *testing.B, svc *account.Service, clock *Clock, kind account.Kind, create func(ctx context.Context, opts json.RawMessage) (json.RawMessage, error)) {
	ctx := context.Background()
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		u := SignUp(b, svc, clock, "user"+strconv.Itoa(i)+"@example.com")
		grant := u.Grant(b, account.PurposeAddPasskey)
		b.StartTimer()
		start := time.Now()
		opts, err := svc.BeginRegistration(ctx, u.Session.Token, grant, kind)
		if err != nil {
			b.Fatal(err)
		}
		cred, err := create(ctx, opts)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := svc.FinishRegistration(ctx, u.Session.Token, grant, cred, ""); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
	}
	b.StopTimer()
	ReportMedian(b, times)
}

// ReportMedian adds the median of the timed operations as "median-ms".
func ReportMedian(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	b.ReportMetric(float64(d[len(d)/2])/float64(time.Millisecond), "median-ms")
}
