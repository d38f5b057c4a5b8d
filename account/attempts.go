package account

import (
	"time"
)

// Abuse limits of the identity factors (password, authenticator code,
// email code). An attempt is reserved in one write transaction before it
// is checked (reserve) and settled in another once it is (settle), so the
// slow part, argon2id, runs outside any transaction and yet a burst of
// concurrent guesses cannot check more than MaxFailures answers before the
// lock: attempts in flight count as failures until they are settled.

// attemptLifetime is how long a reserved attempt counts without being
// settled. Settling takes one argon2id hash; an attempt still unsettled
// after this was dropped by a process that stopped.
const attemptLifetime = time.Minute

// lockDuration is the length of a lock that follows locks earlier locks
// with no success in between: LockDuration, then four times as long each
// time, up to MaxLockDuration.
func lockDuration(locks int) time.Duration {
	d := LockDuration
	for range locks {
		d *= 4
		if d >= MaxLockDuration {
			return MaxLockDuration
		}
	}
	return d
}

// limiter names one abuse state: a factor of an account, or the password
// of an email no active account has (emailMAC set, accountID "").
type limiter struct {
	accountID string
	emailMAC  []byte
	factor    Factor
}

func (l limiter) load(tx Tx) (FactorState, error) {
	if l.accountID == "" {
		return tx.UnknownEmailState(l.emailMAC)
	}
	return tx.FactorState(l.accountID, l.factor)
}

func (l limiter) save(tx Tx, st FactorState) error {
	if l.accountID == "" {
		return tx.PutUnknownEmailState(l.emailMAC, st)
	}
	return tx.PutFactorState(l.accountID, l.factor, st)
}

// age brings st up to now: a lock that has ended clears the failures
// (the lock level stays), reservations older than attemptLifetime no
// longer count, and after FailureMemory with no wrong answer and no lock
// the failures and the lock level are forgotten.
func age(st *FactorState, now time.Time) {
	if !st.LockedUntil.IsZero() && !now.Before(st.LockedUntil) {
		st.Failures, st.LockedUntil = 0, time.Time{}
	}
	if st.InFlight > 0 && !now.Before(st.InFlightAt.Add(attemptLifetime)) {
		st.InFlight, st.InFlightAt = 0, time.Time{}
	}
	if st.LockedUntil.IsZero() && !st.LastFailure.IsZero() && !now.Before(st.LastFailure.Add(FailureMemory)) {
		st.Failures, st.Locks, st.LastFailure = 0, 0, time.Time{}
	}
}

// reserve reserves one attempt at each of ls, all or none. It returns a
// *LockedError, and reserves nothing, when one of them is locked, or has
// so many attempts in flight that, were they all wrong, they would lock
// it (Until is then when that lock would end).
func (s *Service) reserve(tx Tx, ls ...limiter) error {
	now := s.now().UTC()
	sts := make([]FactorState, len(ls))
	for i, l := range ls {
		st, err := l.load(tx)
		if err != nil {
			return err
		}
		age(&st, now)
		if now.Before(st.LockedUntil) {
			return &LockedError{Factor: l.factor, Until: st.LockedUntil}
		}
		if st.Failures+st.InFlight >= MaxFailures {
			return &LockedError{Factor: l.factor, Until: now.Add(lockDuration(st.Locks))}
		}
		st.InFlight++
		st.InFlightAt = now
		sts[i] = st
	}
	for i, l := range ls {
		if err := l.save(tx, sts[i]); err != nil {
			return err
		}
	}
	return nil
}

// verdict is how a reserved attempt ended.
type verdict int

const (
	// released: the attempt was not judged (another factor failed first,
	// or the check could not run); it gives its reservation back.
	released verdict = iota
	wrongAnswer
	rightAnswer
)

// settle ends one attempt reserved at l. A right answer clears the
// failures, the lock and the lock level. A wrong one is counted; the
// MaxFailures-th locks l for lockDuration(Locks), raises the level and
// leaves a factor-locked event on the account. locked is the lock l is
// under after a wrong answer, nil otherwise.
func (s *Service) settle(tx Tx, l limiter, v verdict) (locked *LockedError, err error) {
	st, err := l.load(tx)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	age(&st, now)
	if st.InFlight > 0 {
		st.InFlight--
	}
	if st.InFlight == 0 {
		st.InFlightAt = time.Time{}
	}
	switch v {
	case rightAnswer:
		st.Failures, st.LockedUntil, st.Locks, st.LastFailure = 0, time.Time{}, 0, time.Time{}
	case wrongAnswer:
		st.Failures++
		st.LastFailure = now
		switch {
		case now.Before(st.LockedUntil):
			// Settled after other attempts of the same burst locked it.
			locked = &LockedError{Factor: l.factor, Until: st.LockedUntil}
		case st.Failures >= MaxFailures:
			st.LockedUntil = now.Add(lockDuration(st.Locks))
			st.Locks++
			locked = &LockedError{Factor: l.factor, Until: st.LockedUntil}
			if l.accountID != "" {
				detail := factorWords(l.factor) + " locked until " + st.LockedUntil.Format(time.RFC3339)
				if err := tx.AppendEvent(l.accountID, s.event(EventFactorLocked, detail)); err != nil {
					return nil, err
				}
			}
		}
	}
	return locked, l.save(tx, st)
}

// settleAll settles each of ls with v.
func (s *Service) settleAll(tx Tx, v verdict, ls ...limiter) error {
	for _, l := range ls {
		if _, err := s.settle(tx, l, v); err != nil {
			return err
		}
	}
	return nil
}
