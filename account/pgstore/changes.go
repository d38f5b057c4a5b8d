package pgstore

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/passkeydesk/passkeydesk/account"
)

// changesChannel is the PostgreSQL channel changes are announced on.
const changesChannel = "passkeydesk_changes"

// listenerName is the application_name of the connection that listens,
// so that it can be told apart in pg_stat_activity.
const listenerName = "passkeydesk-listener"

var _ account.ChangeFeed = (*Store)(nil)
var _ account.ChangeNotifier = (*txn)(nil)

// NotifyChange implements account.ChangeNotifier with pg_notify:
// PostgreSQL delivers it to every listener when the transaction commits,
// and never if it rolls back.
func (t *txn) NotifyChange(topic string) error {
	return t.exec(`SELECT pg_notify($1, $2)`, changesChannel, topic)
}

// Changes implements account.ChangeFeed: it listens on a connection of
// its own (outside the pool) and, whenever that connection is lost,
// connects again with a growing pause, sending account.Resync after each
// (re)connection, since what was announced meanwhile is lost.
func (s *Store) Changes(ctx context.Context) <-chan string {
	out := make(chan string, 64)
	go func() {
		defer close(out)
		pause := 50 * time.Millisecond
		for ctx.Err() == nil {
			err := s.listen(ctx, out)
			if ctx.Err() != nil {
				return
			}
			_ = err // the next connection tells; a lost one is normal
			select {
			case <-time.After(pause):
			case <-ctx.Done():
				return
			}
			pause = min(pause*2, 2*time.Second)
		}
	}()
	return out
}

// listen connects, listens and forwards notifications until the
// connection fails or ctx ends.
func (s *Store) listen(ctx context.Context, out chan<- string) error {
	cfg := s.pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = listenerName
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+changesChannel); err != nil {
		return err
	}
	select {
	case out <- account.Resync:
	case <-ctx.Done():
		return ctx.Err()
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		select {
		case out <- n.Payload:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
