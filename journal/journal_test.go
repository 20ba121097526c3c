package journal

import (
	"fmt"
	"hash/crc32"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-arazzo/arazzo/runner"
)

func testHeader() Header {
	return Header{Document: "/tmp/x.arazzo.yaml", DocumentSHA256: "abc", Workflows: []string{"w"},
		Inputs: map[string]map[string]any{"w": {"db": "db_1"}}, Withheld: map[string][]string{"w": {"token"}}}
}

func writeSample(t *testing.T, path string) []runner.Entry {
	t.Helper()
	f, err := Create(path, testHeader())
	if err != nil {
		t.Fatal(err)
	}
	f.SetMask(func(s string) string { return strings.ReplaceAll(s, "sekret", "***") })
	entries := []runner.Entry{
		{Key: "w:w#1", Type: runner.EntrySent, Method: "POST", URL: "http://h/b?key=sekret"},
		{Key: "w:w#1", Type: runner.EntryReceived, Method: "POST", URL: "http://h/b",
			Response: &runner.Response{StatusCode: 202, Header: http.Header{"X": {"1"}}, Body: []byte{0, 1, 2, 0xff}}},
		{Key: "w:w#2", Type: runner.EntryFailed, Error: "connection refused", Retries: 3},
		{Key: "w:w#2~wait", Type: runner.EntryWait, Until: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Key: "w:w#3", Type: runner.EntrySent, Method: "POST", URL: "http://h/restore"},
	}
	for _, e := range entries {
		if err := f.Record(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return entries
}

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.state")
	writeSample(t, path)
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("state file mode = %v, %v; want 0600 (it holds responses)", st.Mode(), err)
	}
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), "sekret") {
		t.Fatal("the mask was not applied to a recorded URL")
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := f.Header()
	if h.Version != Version || h.Document != "/tmp/x.arazzo.yaml" || h.Withheld["w"][0] != "token" || h.Inputs["w"]["db"] != "db_1" {
		t.Fatalf("header = %+v", h)
	}
	e, ok := f.Lookup("w:w#1")
	if !ok || e.Type != runner.EntryReceived || e.Response.StatusCode != 202 || string(e.Response.Body) != "\x00\x01\x02\xff" {
		t.Fatalf("w#1 = %+v", e)
	}
	if e, _ := f.Lookup("w:w#2"); e.Type != runner.EntryFailed || e.Retries != 3 {
		t.Fatalf("w#2 = %+v", e)
	}
	if e, _ := f.Lookup("w:w#2~wait"); !e.Until.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("wait = %+v", e)
	}
	if d := f.InDoubt(); len(d) != 1 || d[0].URL != "http://h/restore" {
		t.Fatalf("in doubt = %+v", d)
	}
	if f.Exchanges() != 2 {
		t.Fatalf("exchanges = %d", f.Exchanges())
	}
	// Appending after reopening continues the same file.
	if err := f.Record(runner.Entry{Key: "w:w#3", Type: runner.EntryReceived, Response: &runner.Response{StatusCode: 202}}); err != nil {
		t.Fatal(err)
	}
	if err := f.Finish(map[string]string{"w": "succeeded"}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	g, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if len(g.InDoubt()) != 0 || g.Ended() == nil || g.Ended().Statuses["w"] != "succeeded" {
		t.Fatalf("after resume: in doubt %v, end %+v", g.InDoubt(), g.Ended())
	}
}

// TestCrashAtEveryByte cuts the file at every length a crash could leave
// and checks that Open either recovers a prefix of the records or says
// clearly that there is nothing to resume — never an error about
// corruption, never a panic.
func TestCrashAtEveryByte(t *testing.T) {
	dir := t.TempDir()
	full := filepath.Join(dir, "full.state")
	writeSample(t, full)
	data, _ := os.ReadFile(full)
	headerLen := strings.IndexByte(string(data), '\n') + 1
	cut := filepath.Join(dir, "cut.state")
	prevKeys := 0
	for n := 0; n <= len(data); n++ {
		if err := os.WriteFile(cut, data[:n], 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := Open(cut)
		if n < headerLen {
			if err == nil || !strings.Contains(err.Error(), "no complete header") {
				t.Fatalf("cut at %d (inside the header): err = %v", n, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("cut at %d: %v", n, err)
		}
		keys := len(f.order)
		if keys < prevKeys {
			t.Fatalf("cut at %d recovered fewer records than a shorter cut", n)
		}
		prevKeys = keys
		// The torn tail was cut off: a record appended now is readable.
		if err := f.Record(runner.Entry{Key: "after", Type: runner.EntryWait}); err != nil {
			t.Fatal(err)
		}
		f.Close()
		g, err := Open(cut)
		if err != nil {
			t.Fatalf("cut at %d, reopened after appending: %v", n, err)
		}
		if _, ok := g.Lookup("after"); !ok {
			t.Fatalf("cut at %d: the record appended after recovery is lost", n)
		}
		g.Close()
	}
}

func TestDamageInTheMiddleIsReported(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.state")
	writeSample(t, path)
	data, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(data), "\n")
	lines[2] = strings.Replace(lines[2], "202", "203", 1)
	os.WriteFile(path, []byte(strings.Join(lines, "")), 0o600)
	_, err := Open(path)
	if err == nil || !strings.Contains(err.Error(), "line 3 is damaged") {
		t.Fatalf("err = %v", err)
	}
}

func TestCreateRefusesExisting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.state")
	writeSample(t, path)
	_, err := Create(path, testHeader())
	if err == nil || !strings.Contains(err.Error(), "arazzo resume") {
		t.Fatalf("err = %v", err)
	}
}

func TestOpenRejectsForeignFiles(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"empty":    "",
		"yaml":     "arazzo: 1.0.1\ninfo: {}\n",
		"newer":    "",
		"noheader": "",
	} {
		path := filepath.Join(dir, name)
		switch name {
		case "newer":
			f, _ := Create(path, testHeader())
			f.Close()
			data, _ := os.ReadFile(path)
			body := strings.Replace(string(data[9:]), `"version":1`, `"version":9`, 1)
			content = crcLine(body)
		case "noheader":
			content = crcLine(`{"entry":{"key":"k","type":"wait"}}` + "\n")
		}
		if content != "" || name == "empty" {
			os.WriteFile(path, []byte(content), 0o600)
		}
		if _, err := Open(path); err == nil {
			t.Errorf("%s: opened without error", name)
		}
	}
}

func crcLine(bodyWithNewline string) string {
	body := strings.TrimSuffix(bodyWithNewline, "\n")
	return fmt.Sprintf("%08x %s\n", crc32.Checksum([]byte(body), crcTable), body)
}
