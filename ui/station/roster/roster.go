// Package roster reads the people of an enrollment batch from a CSV file:
// an email and a display name per row. It imports nothing until the
// operator accepts: Parse returns the people it could read and every row
// it could not, each with its line and why, and the station shows both.
//
// The file may start with a UTF-8 byte order mark (as spreadsheet
// programs write it) and with a header row; columns are separated by
// commas, or by semicolons when the first row has semicolons and no
// commas (spreadsheets in locales with a decimal comma). With a header,
// the columns named email (or e-mail, mail) and name (or display name,
// full name) are read wherever they are and other columns are ignored;
// without one, the first column is the email and the second the name, or
// the other way round when the second holds the "@". Blank rows are
// skipped.
//
// Emails and names follow the account service's sign-up rules: an email
// is a bare address with a dot in its domain, at most 254 bytes, compared
// without case; a name has 1 to 64 characters.
package roster

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/passkeydesk/passkeydesk/account"
)

// Limits.
const (
	MaxBytes     = 1 << 20                 // the largest file read
	MaxRows      = account.MaxBatchEntries // the most people in one batch
	MaxEmailLen  = 254                     // bytes (RFC 5321's path limit less the brackets)
	MaxNameChars = 64                      // the account service's display name limit
)

// Person is one row that can be enrolled.
type Person struct {
	Line  int    // the row's line in the file, from 1
	Email string // lower case, trimmed
	Name  string // trimmed
}

// Why a row is refused.
const (
	ReasonBadEmail     = "bad email"
	ReasonMissingEmail = "missing email"
	ReasonMissingName  = "missing name"
	ReasonBadName      = "bad name"
	ReasonDuplicate    = "duplicate"
	ReasonTooLong      = "too long"
	ReasonBadRow       = "not a CSV row"
	ReasonBadText      = "not UTF-8 text"
)

// Problem is a row that was not taken.
type Problem struct {
	Line   int
	Reason string // one of the Reason constants
	Detail string // words for the operator: what and where
}

func (p Problem) String() string { return fmt.Sprintf("line %d: %s: %s", p.Line, p.Reason, p.Detail) }

// Batch is what Parse read.
type Batch struct {
	People   []Person
	Problems []Problem
	Header   bool // the first row was a header
}

// Errors for a file that cannot be read as a batch at all.
var (
	ErrTooLarge    = fmt.Errorf("roster: the file is larger than %d bytes", MaxBytes)
	ErrTooManyRows = fmt.Errorf("roster: the file has more than %d people", MaxRows)
	ErrEmpty       = errors.New("roster: the file has no rows")
	ErrNoColumns   = errors.New("roster: the header names no email column and no name column")
)

// Rows are the people as the account service takes them for a batch
// (account.StationAPI CheckBatchRows and CreateBatch), with their lines.
func (b *Batch) Rows() []account.BatchRow {
	rows := make([]account.BatchRow, len(b.People))
	for i, p := range b.People {
		rows[i] = account.BatchRow{Line: p.Line, Email: p.Email, DisplayName: p.Name}
	}
	return rows
}

// Parse reads a batch from r.
func Parse(r io.Reader) (*Batch, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("roster: reading the file: %w", err)
	}
	if len(data) > MaxBytes {
		return nil, ErrTooLarge
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, ErrEmpty
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = false
	if first, _, _ := bufio.NewReader(bytes.NewReader(data)).ReadLine(); bytes.IndexByte(first, ';') >= 0 && bytes.IndexByte(first, ',') < 0 {
		cr.Comma = ';'
	}

	b := &Batch{}
	emailCol, nameCol := -1, -1
	seen := map[string]int{} // email → line of its first row
	rows := 0
	for first := true; ; {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		var pe *csv.ParseError
		if errors.As(err, &pe) && !errors.Is(err, csv.ErrFieldCount) {
			b.Problems = append(b.Problems, Problem{Line: pe.StartLine, Reason: ReasonBadRow, Detail: pe.Err.Error()})
			first = false
			continue
		} else if err != nil && !errors.Is(err, csv.ErrFieldCount) {
			return nil, fmt.Errorf("roster: %w", err)
		}
		if blank(rec) {
			continue
		}
		if first {
			first = false
			if e, n, ok := header(rec); ok {
				emailCol, nameCol, b.Header = e, n, true
				continue
			}
			emailCol, nameCol = 0, 1
			if len(rec) > 1 && !strings.Contains(rec[0], "@") && strings.Contains(rec[1], "@") {
				emailCol, nameCol = 1, 0
			}
		}
		rows++
		if rows > MaxRows {
			return nil, ErrTooManyRows
		}
		p, prob := person(line, rec, emailCol, nameCol)
		if prob != nil {
			b.Problems = append(b.Problems, *prob)
			continue
		}
		if at, dup := seen[p.Email]; dup {
			b.Problems = append(b.Problems, Problem{Line: line, Reason: ReasonDuplicate, Detail: fmt.Sprintf("%s is on line %d already", p.Email, at)})
			continue
		}
		seen[p.Email] = line
		b.People = append(b.People, p)
	}
	if len(b.People) == 0 && len(b.Problems) == 0 {
		return nil, ErrEmpty
	}
	return b, nil
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// header reports whether rec is a header row (no cell holds an "@" and
// one names a column we know), and where the columns are (-1: absent).
func header(rec []string) (email, name int, ok bool) {
	email, name = -1, -1
	for i, f := range rec {
		if strings.Contains(f, "@") {
			return -1, -1, false
		}
		switch strings.Join(strings.Fields(strings.ToLower(f)), " ") {
		case "email", "e-mail", "mail", "email address", "e-mail address":
			if email < 0 {
				email = i
			}
		case "name", "display name", "displayname", "full name":
			if name < 0 {
				name = i
			}
		}
	}
	return email, name, email >= 0 || name >= 0
}

// person checks one row.
func person(line int, rec []string, emailCol, nameCol int) (Person, *Problem) {
	bad := func(reason, detail string) (Person, *Problem) {
		return Person{}, &Problem{Line: line, Reason: reason, Detail: detail}
	}
	cell := func(i int) string {
		if i < 0 || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	email, name := cell(emailCol), cell(nameCol)
	for _, f := range []string{email, name} {
		if !utf8.ValidString(f) {
			return bad(ReasonBadText, "save the file as UTF-8")
		}
	}
	switch {
	case email == "" && emailCol < 0:
		return bad(ReasonMissingEmail, "the file has no email column")
	case email == "":
		return bad(ReasonMissingEmail, "the email is empty")
	case len(email) > MaxEmailLen:
		return bad(ReasonTooLong, fmt.Sprintf("the email has %d bytes; at most %d", len(email), MaxEmailLen))
	}
	email = strings.ToLower(email)
	if addr, err := mail.ParseAddress(email); err != nil || addr.Address != email || addr.Name != "" ||
		!strings.Contains(email[strings.LastIndexByte(email, '@')+1:], ".") {
		return bad(ReasonBadEmail, fmt.Sprintf("%q is not an address like name@example.com", shorten(email)))
	}
	switch n := utf8.RuneCountInString(name); {
	case name == "":
		return bad(ReasonMissingName, "the display name of "+email+" is empty")
	case n > MaxNameChars:
		return bad(ReasonTooLong, fmt.Sprintf("the name has %d characters; at most %d", n, MaxNameChars))
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return bad(ReasonBadName, "the display name of "+email+" has control characters")
	}
	return Person{Line: line, Email: email, Name: name}, nil
}

// shorten keeps what a problem quotes short.
func shorten(s string) string {
	if utf8.RuneCountInString(s) <= 60 {
		return s
	}
	return string([]rune(s)[:57]) + "…"
}
