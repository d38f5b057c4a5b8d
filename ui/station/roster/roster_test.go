package roster_test

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/ui/station/roster"
)

func parse(t *testing.T, s string) *roster.Batch {
	t.Helper()
	b, err := roster.Parse(strings.NewReader(s))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return b
}

func people(b *roster.Batch) string {
	var out []string
	for _, p := range b.People {
		out = append(out, fmt.Sprintf("%d %s %s", p.Line, p.Email, p.Name))
	}
	return strings.Join(out, "; ")
}

func problems(b *roster.Batch) string {
	var out []string
	for _, p := range b.Problems {
		out = append(out, fmt.Sprintf("%d %s", p.Line, p.Reason))
	}
	return strings.Join(out, "; ")
}

// TestParseShapes: with or without a header, with a BOM, columns in
// either order, semicolons, extra columns and blank rows.
func TestParseShapes(t *testing.T) {
	for _, tc := range []struct {
		name, in, people string
		header           bool
	}{
		{"no header", "alice@example.com,Alice Smith\nbob@example.com,Bob Jones\n",
			"1 alice@example.com Alice Smith; 2 bob@example.com Bob Jones", false},
		{"header and BOM, CRLF", "\ufeffEmail,Display name\r\nAlice@Example.com , Alice Smith\r\n",
			"2 alice@example.com Alice Smith", true},
		{"header in another order with extra columns", "Team,Name,E-mail\nops,Zoë Łukasiewicz,zoe@example.com\n",
			"2 zoe@example.com Zoë Łukasiewicz", true},
		{"name first, no header", "Alice Smith,alice@example.com\n", "1 alice@example.com Alice Smith", false},
		{"semicolons", "email;name\nalice@example.com;Smith, Alice\n", "2 alice@example.com Smith, Alice", true},
		{"quoted with a comma", "\"carol@example.com\",\"Doe, Carol\"\n", "1 carol@example.com Doe, Carol", false},
		{"blank rows", "\n\nalice@example.com,Alice\n,\n\nbob@example.com,Bob\n", "3 alice@example.com Alice; 6 bob@example.com Bob", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := parse(t, tc.in)
			if got := people(b); got != tc.people || b.Header != tc.header || len(b.Problems) != 0 {
				t.Errorf("people %q header %v problems %q\nwant %q header %v", got, b.Header, problems(b), tc.people, tc.header)
			}
		})
	}
}

// TestParseBadRows: every bad row is listed with its line and why, and
// the good rows are still read.
func TestParseBadRows(t *testing.T) {
	in := strings.Join([]string{
		"email,name",
		"alice@example.com,Alice",                      // 2 ok
		"not-an-email,Bob",                             // 3 bad email
		"carol@example.com,",                           // 4 missing name
		"ALICE@example.com,Alice again",                // 5 duplicate
		"dave@localhost,Dave",                          // 6 bad email (no dot)
		"Erin <erin@example.com>,Erin",                 // 7 bad email (a display name)
		strings.Repeat("x", 250) + "@example.com,Long", // 8 too long
		"frank@example.com," + strings.Repeat("F", 65), // 9 too long
		",Gina",                                  // 10 missing email
		"hank@example.com,\"Hank \"the\" Hill\"", // 11 not CSV
		"ida@example.com,Ida\x01",                // 12 bad name
		"jack@example.com,J\xffck",               // 13 not UTF-8
		"kim@example.com,Kim",                    // 14 ok
	}, "\n")
	b := parse(t, in)
	if got := people(b); got != "2 alice@example.com Alice; 14 kim@example.com Kim" {
		t.Errorf("people: %s", got)
	}
	want := "3 bad email; 4 missing name; 5 duplicate; 6 bad email; 7 bad email; 8 too long; 9 too long; 10 missing email; 11 not a CSV row; 12 bad name; 13 not UTF-8 text"
	if got := problems(b); got != want {
		t.Errorf("problems:\n got %s\nwant %s", got, want)
	}
	for _, p := range b.Problems {
		if p.Detail == "" {
			t.Errorf("line %d: no detail", p.Line)
		}
	}
	if d := b.Problems[2].Detail; !strings.Contains(d, "line 2") {
		t.Errorf("duplicate does not say where the first is: %q", d)
	}
}

// TestParseLimits crosses the size and row limits, and refuses files
// with nothing to read.
func TestParseLimits(t *testing.T) {
	var rows bytes.Buffer
	for i := range roster.MaxRows {
		fmt.Fprintf(&rows, "p%d@example.com,Person %d\n", i, i)
	}
	b, err := roster.Parse(bytes.NewReader(rows.Bytes()))
	if err != nil || len(b.People) != roster.MaxRows {
		t.Fatalf("%d rows: %v", roster.MaxRows, err)
	}
	fmt.Fprintf(&rows, "one@example.com,One more\n")
	if _, err := roster.Parse(bytes.NewReader(rows.Bytes())); !errors.Is(err, roster.ErrTooManyRows) {
		t.Errorf("%d rows: %v", roster.MaxRows+1, err)
	}

	big := bytes.Repeat([]byte("a"), roster.MaxBytes-len("@example.com,A\n"))
	exact := append(append([]byte{}, big...), "@example.com,A\n"...)
	if len(exact) != roster.MaxBytes {
		t.Fatal(len(exact))
	}
	if b, err := roster.Parse(bytes.NewReader(exact)); err != nil || len(b.Problems) != 1 || b.Problems[0].Reason != roster.ReasonTooLong {
		t.Errorf("a file of exactly MaxBytes: %v", err)
	}
	if _, err := roster.Parse(bytes.NewReader(append(exact, '\n'))); !errors.Is(err, roster.ErrTooLarge) {
		t.Errorf("a file of MaxBytes+1: %v", err)
	}

	for _, in := range []string{"", "\ufeff", "\n \n", "email,name\n"} {
		if _, err := roster.Parse(strings.NewReader(in)); !errors.Is(err, roster.ErrEmpty) {
			t.Errorf("%q: %v, want ErrEmpty", in, err)
		}
	}
	// Neither emails nor a known header: every row is listed, none taken.
	if b := parse(t, "team,office\nops,HQ\n"); len(b.People) != 0 || problems(b) != "1 bad email; 2 bad email" {
		t.Errorf("no emails: %s", problems(b))
	}
	if b := parse(t, "name\nAlice\n"); len(b.People) != 0 || problems(b) != "2 missing email" || !strings.Contains(b.Problems[0].Detail, "no email column") {
		t.Errorf("no email column: %s", problems(b))
	}
}

// TestRows: the people read, as rows for the account service's batch
// calls, keep their lines.
func TestRows(t *testing.T) {
	b := parse(t, "\ufeffE-mail;Name\nAlice@Example.com; Alice Smith \nbob@example.com;Bob\n")
	want := []account.BatchRow{{Line: 2, Email: "alice@example.com", DisplayName: "Alice Smith"}, {Line: 3, Email: "bob@example.com", DisplayName: "Bob"}}
	if rows := b.Rows(); !reflect.DeepEqual(rows, want) {
		t.Fatalf("rows %+v", rows)
	}
}
