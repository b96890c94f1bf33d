package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/growth-gov/growth/metamodel/errcode"
)

// LoginPolicy limits password guessing. Limits count by the name typed,
// whether or not such a user exists, so that the answers never tell an
// existing name from an unknown one.
type LoginPolicy struct {
	// MaxFailures failed logins of one name within Window lock the name
	// until the oldest of them leaves the window.
	MaxFailures int
	// SlowAfter failures of one name within Window, each further attempt must
	// wait longer after the last failure: 1 s, then 2 s, 4 s, …
	SlowAfter int
	// MaxAddressFailures failed logins from one address within Window refuse
	// that address, whatever the name.
	MaxAddressFailures int
	// Window is how far back failures count.
	Window time.Duration
	// SessionTTL is how long a session lasts from login, however busy.
	SessionTTL time.Duration
	// SessionIdle ends a session unused for this long, before its TTL: a
	// workstation left logged in over lunch is not open all afternoon. Use
	// is recorded at most once every SessionTouchInterval (user_session.go).
	SessionIdle time.Duration
}

// DefaultLoginPolicy: five failures lock a name for up to 15 minutes; the
// fourth and fifth attempts wait 1 and 2 seconds; thirty failures lock an
// address; sessions last 8 hours (a working day) and end after 30 minutes
// unused.
var DefaultLoginPolicy = LoginPolicy{MaxFailures: 5, SlowAfter: 3, MaxAddressFailures: 30, Window: 15 * time.Minute,
	SessionTTL: 8 * time.Hour, SessionIdle: 30 * time.Minute}

// TooManyAttemptsError is a login refused before the password is even
// checked, because of earlier failures. Code is "locked" (the name) or
// "rate_limited" (too fast, or too many failures from the address).
type TooManyAttemptsError struct {
	Code       errcode.Code
	Message    string
	MessageEn  string
	RetryAfter time.Duration
}

func (e *TooManyAttemptsError) Error() string { return e.Message }

// Text is the message in English when english is set and there is one.
func (e *TooManyAttemptsError) Text(english bool) string {
	return errcode.Text{Zh: e.Message, En: e.MessageEn}.In(english)
}

// Is makes errors.Is(err, errcode.X) true for the error's code.
func (e *TooManyAttemptsError) Is(target error) bool { return target == e.Code }

// tooManyAttempts refuses a login for retry, with code and a message built
// from format and args.
func tooManyAttempts(retry time.Duration, code errcode.Code, format string, args ...any) *TooManyAttemptsError {
	t := code.Format(format, args...)
	return &TooManyAttemptsError{Code: code, Message: t.Zh, MessageEn: t.En, RetryAfter: retry}
}

// errBadLogin is the one answer to a wrong password and to an unknown name.
var errBadLogin = Unauthorized("用户名或密码错误")

// anonymous is the audit trail's actor of logins that did not succeed.
const anonymous = "anonymous"

// Login checks a name and password from address and opens a session of
// kind. Every attempt is recorded and audited; a wrong password and an
// unknown name — and a disabled account, even with the right password — get
// the same error (ErrUnauthorized) after the same bcrypt
// work; a locked or too fast name, or a noisy address, gets a
// *TooManyAttemptsError without the password being checked.
func (u *Users) Login(ctx context.Context, name, password, address string, kind SessionKind) (*Session, error) {
	if u.NoPasswords {
		return nil, ErrPasswordsOff
	}
	// A name no user can have (a NUL byte, invalid UTF-8) fails as an unknown
	// name does, on every database.
	key := truncateRunes(storableText(NormalizeUserName(name)), 64)
	address = truncateRunes(storableText(address), 64)
	now := u.now()
	u.maybePrune(ctx, now)

	var attemptID int64
	var refused *TooManyAttemptsError
	err := u.db.Tx(ctx, func(tx *sql.Tx) error {
		if u.db.Dialect == Postgres {
			// One login of a name at a time, so that parallel guesses all
			// see each other's pending attempts.
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, "growth-login:"+key); err != nil {
				return fmt.Errorf("login: %w", err)
			}
		}
		var err error
		if refused, err = u.limit(ctx, tx, key, address, now); err != nil {
			return err
		}
		if refused != nil {
			return u.audit(ctx, tx, anonymous, 0, "login_refused", now, map[string][2]any{
				"name": {nil, key}, "address": {nil, address}, "reason": {nil, refused.Code}})
		}
		ph := u.db.Placeholder
		return tx.QueryRowContext(ctx, `INSERT INTO growth_login_attempts (name, address, at) VALUES (`+ph(1)+`, `+ph(2)+`, `+ph(3)+`) RETURNING id`,
			key, address, u.db.timeArg(now)).Scan(&attemptID)
	})
	if err != nil {
		return nil, err
	}
	if refused != nil {
		return nil, refused
	}

	user, hash, err := u.passwordHash(ctx, key)
	if err != nil {
		return nil, err
	}
	if user == nil {
		hash = u.dummyHash()
	}
	match := bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil
	reason := ""
	switch {
	case user == nil:
		reason = "unknown_user"
	case !match:
		reason = "wrong_password"
	case !user.Enabled:
		reason = "disabled"
	}
	var session *Session
	err = u.db.Tx(ctx, func(tx *sql.Tx) error {
		ok := 0
		if reason == "" {
			ok = 1
		}
		ph := u.db.Placeholder
		if _, err := tx.ExecContext(ctx, `UPDATE growth_login_attempts SET ok = `+ph(1)+` WHERE id = `+ph(2), ok, attemptID); err != nil {
			return fmt.Errorf("login: %w", err)
		}
		changes := map[string][2]any{"name": {nil, key}, "address": {nil, address}}
		if reason != "" {
			changes["reason"] = [2]any{nil, reason}
			var id int64
			if user != nil {
				id = user.ID
			}
			return u.audit(ctx, tx, anonymous, id, "login_failed", now, changes)
		}
		var err error
		if session, err = u.startSession(ctx, tx, user, kind, address, now); err != nil {
			return err
		}
		changes["session"] = [2]any{nil, string(kind)}
		return u.audit(ctx, tx, user.Name, user.ID, "login", now, changes)
	})
	switch {
	case err != nil:
		return nil, err
	case reason != "":
		// A disabled account answers as a wrong password does, after the
		// same bcrypt work: the answer must not confirm the password. The
		// audit trail keeps the reason for the admins.
		return nil, errBadLogin
	}
	return session, nil
}

// limit decides, before the password is checked, whether earlier failures
// refuse this attempt.
func (u *Users) limit(ctx context.Context, tx *sql.Tx, name, address string, now time.Time) (*TooManyAttemptsError, error) {
	p := u.Policy
	ph := u.db.Placeholder
	since := u.db.timeArg(now.Add(-p.Window))
	if p.MaxFailures > 0 {
		rows, err := tx.QueryContext(ctx, `SELECT at, ok FROM growth_login_attempts WHERE name = `+ph(1)+` AND at > `+ph(2)+
			fmt.Sprintf(` ORDER BY at DESC, id DESC LIMIT %d`, p.MaxFailures), name, since)
		if err != nil {
			return nil, fmt.Errorf("login attempts: %w", err)
		}
		var failures []time.Time
		for rows.Next() {
			var at, ok any
			if err := rows.Scan(&at, &ok); err != nil {
				rows.Close()
				return nil, fmt.Errorf("login attempts: %w", err)
			}
			if n, _ := asInt64(ok); ok != nil && n == 1 {
				break // a success forgives the failures before it
			}
			t, err := scanTime(at)
			if err != nil {
				rows.Close()
				return nil, err
			}
			failures = append(failures, t)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("login attempts: %w", err)
		}
		if len(failures) >= p.MaxFailures {
			retry := failures[len(failures)-1].Add(p.Window).Sub(now)
			return tooManyAttempts(retry, errcode.Locked, "登录失败次数过多，账户 %s 已暂时锁定，请 %d 分钟后再试", name, ceilMinutes(retry)), nil
		}
		if p.SlowAfter > 0 && len(failures) >= p.SlowAfter {
			wait := time.Second << (len(failures) - p.SlowAfter)
			if next := failures[0].Add(wait); now.Before(next) {
				retry := next.Sub(now)
				return tooManyAttempts(retry, errcode.RateLimited, "登录尝试过于频繁，请 %d 秒后再试", int(math.Ceil(retry.Seconds()))), nil
			}
		}
	}
	if p.MaxAddressFailures > 0 {
		var at any
		err := tx.QueryRowContext(ctx, `SELECT at FROM growth_login_attempts WHERE address = `+ph(1)+` AND at > `+ph(2)+` AND (ok IS NULL OR ok = 0)`+
			fmt.Sprintf(` ORDER BY at DESC LIMIT 1 OFFSET %d`, p.MaxAddressFailures-1), address, since).Scan(&at)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("login attempts: %w", err)
		}
		if err == nil {
			t, err := scanTime(at)
			if err != nil {
				return nil, err
			}
			retry := t.Add(p.Window).Sub(now)
			return tooManyAttempts(retry, errcode.RateLimited, "来自您的地址的登录失败次数过多，请 %d 分钟后再试", ceilMinutes(retry)), nil
		}
	}
	return nil, nil
}

func ceilMinutes(d time.Duration) int { return int(math.Ceil(d.Minutes())) }

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// passwordHash returns the user called name and its hash, or nil.
func (u *Users) passwordHash(ctx context.Context, name string) (*User, []byte, error) {
	var hash string
	row := u.db.Read.QueryRowContext(ctx, `SELECT `+userColumns+`, password_hash FROM growth_users WHERE name = `+u.db.Placeholder(1), name)
	user, err := scanUser(withHash{row, &hash})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("users: %w", err)
	}
	return user, []byte(hash), nil
}

// withHash scans a user row followed by its password hash.
type withHash struct {
	row  *sql.Row
	hash *string
}

func (w withHash) Scan(dest ...any) error { return w.row.Scan(append(dest, w.hash)...) }

// dummyHash is compared against when no user has the name, so that an
// unknown name costs the same bcrypt work as a wrong password.
func (u *Users) dummyHash() []byte {
	u.dummyOnce.Do(func() {
		u.dummy, _ = bcrypt.GenerateFromPassword([]byte("growth: no such user"), u.HashCost)
	})
	return u.dummy
}

// maybePrune deletes login attempts and sessions long past use, at most
// once an hour per process.
func (u *Users) maybePrune(ctx context.Context, now time.Time) {
	last := u.lastPrune.Load()
	if now.Unix()-last < 3600 || !u.lastPrune.CompareAndSwap(last, now.Unix()) {
		return
	}
	keep := max(24*time.Hour, 2*u.Policy.Window)
	ph := u.db.Placeholder
	_, _ = u.db.Write.ExecContext(ctx, `DELETE FROM growth_login_attempts WHERE at < `+ph(1), u.db.timeArg(now.Add(-keep)))
	_, _ = u.db.Write.ExecContext(ctx, `DELETE FROM growth_sessions WHERE expires_at < `+ph(1), u.db.timeArg(now.Add(-24*time.Hour)))
}
