package runner_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/go-arazzo/arazzo/runner"
)

// memJournal is an in-memory runner.Journal that keeps every entry in
// order, so tests can cut it where a crash would have.
type memJournal struct {
	mu      sync.Mutex
	entries []runner.Entry
	last    map[string]runner.Entry
	fail    error // when set, Record fails
}

func newMemJournal(prefix []runner.Entry) *memJournal {
	j := &memJournal{last: map[string]runner.Entry{}}
	for _, e := range prefix {
		j.entries = append(j.entries, e)
		j.last[e.Key] = e
	}
	return j
}

func (j *memJournal) Lookup(key string) (runner.Entry, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	e, ok := j.last[key]
	return e, ok
}

func (j *memJournal) Record(e runner.Entry) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.fail != nil {
		return j.fail
	}
	j.entries = append(j.entries, e)
	j.last[e.Key] = e
	return nil
}

func TestJournalReplaySendsNothingAgain(t *testing.T) {
	api := &backupAPI{pollsToFinish: 3}
	h := newHarness(t, api.handler())
	r := h.runner(writeDoc(t, header(fmt.Sprintf(pollFlow, 10))), nil)
	in := map[string]any{"databaseId": "db1"}
	j := newMemJournal(nil)
	first, err := r.Run(context.Background(), "backupAndRestore", in, runner.WithJournal(j))
	if err != nil {
		t.Fatal(err)
	}
	// Idempotent GETs are not recorded before sending; the two POSTs are.
	var types []string
	for _, e := range j.entries {
		if e.Type == runner.EntryWait {
			types = append(types, "wait")
			continue
		}
		types = append(types, e.Method+" "+string(e.Type))
	}
	want := "POST sent,POST received,GET received,wait,GET received,wait,GET received,POST sent,POST received"
	if got := strings.Join(types, ","); got != want {
		t.Errorf("journal = %s\nwant      %s", got, want)
	}
	sleeps := len(h.clock.Sleeps())

	second, err := r.Run(context.Background(), "backupAndRestore", in, runner.WithJournal(newMemJournal(j.entries)))
	if err != nil {
		t.Fatal(err)
	}
	if api.creates != 1 || api.restores != 1 || api.polls != 3 {
		t.Errorf("replay sent requests: creates=%d polls=%d restores=%d", api.creates, api.polls, api.restores)
	}
	if !reflect.DeepEqual(first.Outputs, second.Outputs) {
		t.Errorf("replayed outputs %v, first run %v", second.Outputs, first.Outputs)
	}
	if second.Steps[1].Attempts != 3 {
		t.Errorf("replayed poll attempts = %d", second.Steps[1].Attempts)
	}
	// Past waits are not waited again (the fake clock moved past them).
	for _, d := range h.clock.Sleeps()[sleeps:] {
		if d > 0 {
			t.Errorf("replay waited %v", d)
		}
	}
	replayed := 0
	for _, e := range h.events {
		if a, ok := e.(runner.StepAttempt); ok && a.Replayed {
			replayed++
		}
	}
	if replayed != 5 {
		t.Errorf("%d attempts marked replayed, want 5", replayed)
	}
}

// TestJournalResumeAtEveryCut cuts the journal of a full run after every
// entry — each place a crash could stop the run — and resumes from there
// against the same server. The server must see exactly one backup and at
// most one restore in total, and the resumed run must end with the outputs
// of an uninterrupted run, or stop with an in-doubt error naming the POST
// whose outcome the cut lost.
func TestJournalResumeAtEveryCut(t *testing.T) {
	full := newMemJournal(nil)
	var want map[string]any
	{
		api := &backupAPI{pollsToFinish: 3}
		h := newHarness(t, api.handler())
		r := h.runner(writeDoc(t, header(fmt.Sprintf(pollFlow, 10))), nil)
		res, err := r.Run(context.Background(), "backupAndRestore", map[string]any{"databaseId": "db1"}, runner.WithJournal(full))
		if err != nil {
			t.Fatal(err)
		}
		want = res.Outputs
	}
	for cut := 0; cut <= len(full.entries); cut++ {
		prefix := full.entries[:cut]
		t.Run(fmt.Sprintf("cut%02d", cut), func(t *testing.T) {
			// The server already saw what the prefix says was sent.
			api := &backupAPI{pollsToFinish: 3}
			for _, e := range prefix {
				switch {
				case e.Type == runner.EntrySent && strings.HasSuffix(e.URL, "/backups"):
					api.creates++
				case e.Type == runner.EntrySent && strings.HasSuffix(e.URL, "/restore"):
					api.restores++
				case e.Type == runner.EntryReceived && e.Method == "GET":
					api.polls++
				}
			}
			h := newHarness(t, api.handler())
			r := h.runner(writeDoc(t, header(fmt.Sprintf(pollFlow, 10))), nil)
			j := newMemJournal(prefix)
			res, err := r.Run(context.Background(), "backupAndRestore", map[string]any{"databaseId": "db1"}, runner.WithJournal(j))
			if api.creates > 1 || api.restores > 1 {
				t.Fatalf("resume repeated work: creates=%d restores=%d", api.creates, api.restores)
			}
			last := runner.Entry{}
			if cut > 0 {
				last = prefix[cut-1]
			}
			if last.Type == runner.EntrySent {
				var se *runner.StepError
				var doubt *runner.InDoubtError
				if !errors.As(err, &se) || se.Kind != runner.KindInDoubt || !errors.As(err, &doubt) {
					t.Fatalf("cut after a POST was sent: err = %v, want an in-doubt stop", err)
				}
				if !strings.Contains(err.Error(), "POST "+h.srv.URL) || se.Hint == "" {
					t.Errorf("in-doubt error does not name the request or lacks a hint: %v", err)
				}
				// The person checked: the request did not take effect.
				// Resuming with resend allowed finishes the run.
				if strings.HasSuffix(last.URL, "/backups") {
					api.creates--
				} else {
					api.restores--
				}
				res, err = r.Run(context.Background(), "backupAndRestore", map[string]any{"databaseId": "db1"},
					runner.WithJournal(j), runner.WithResendInDoubt())
			}
			if err != nil {
				t.Fatalf("resume failed: %v", err)
			}
			if api.creates != 1 || api.restores != 1 {
				t.Errorf("after resume: creates=%d restores=%d, want 1/1", api.creates, api.restores)
			}
			if !reflect.DeepEqual(res.Outputs, want) {
				t.Errorf("outputs %v, want %v", res.Outputs, want)
			}
		})
	}
}

func TestJournalWriteFailureStopsBeforeSending(t *testing.T) {
	api := &backupAPI{pollsToFinish: 1}
	h := newHarness(t, api.handler())
	r := h.runner(writeDoc(t, header(fmt.Sprintf(pollFlow, 10))), nil)
	j := newMemJournal(nil)
	j.fail = errors.New("disk full")
	_, err := r.Run(context.Background(), "backupAndRestore", map[string]any{"databaseId": "db1"}, runner.WithJournal(j))
	var se *runner.StepError
	if !errors.As(err, &se) || se.Kind != runner.KindJournal || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v", err)
	}
	if api.creates != 0 {
		t.Errorf("a POST was sent although its journal record failed")
	}
}

func TestJournalReplaysTransportFailures(t *testing.T) {
	// A recorded transport failure is replayed as one: the failure
	// actions that handled it then handle it again the same way.
	api := &backupAPI{pollsToFinish: 1}
	h := newHarness(t, api.handler())
	r := h.runner(writeDoc(t, header(fmt.Sprintf(pollFlow, 10))), nil)
	j := newMemJournal([]runner.Entry{{Key: "w:backupAndRestore#1", Type: runner.EntryFailed, Error: "connection reset by peer", Retries: 3}})
	res, err := r.Run(context.Background(), "backupAndRestore", map[string]any{"databaseId": "db1"}, runner.WithJournal(j))
	var se *runner.StepError
	if !errors.As(err, &se) || se.Kind != runner.KindTransport || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("err = %v", err)
	}
	if api.creates != 0 || res.Steps[0].TransportRetries != 3 {
		t.Errorf("creates=%d transport retries=%d", api.creates, res.Steps[0].TransportRetries)
	}
}
