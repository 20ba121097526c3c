package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-arazzo/arazzo/examples/backupd/backupd"
	"github.com/go-arazzo/arazzo/runner"
)

// tenthClock waits a tenth of the asked time: the workflow's
// "retryAfter: 1" polls every 100 ms while still really waiting.
type tenthClock struct{}

func (tenthClock) Now() time.Time { return time.Now() }
func (tenthClock) Sleep(ctx context.Context, d time.Duration) error {
	return runner.SystemClock{}.Sleep(ctx, d/10)
}

const docPath = "../../" + defaultFile

// TestEmbedAgainstServer runs the example against a backupd served by
// httptest: the workflow backs up, polls, restores and waits; the output
// shows the progress and the result; the custom client's User-Agent
// reaches the service; the token is never printed.
func TestEmbedAgainstServer(t *testing.T) {
	srv, err := backupd.New(backupd.Config{BackupDelay: 300 * time.Millisecond, RestoreDelay: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var mu sync.Mutex
	agents := map[string]int{}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		agents[r.Header.Get("User-Agent")]++
		mu.Unlock()
		srv.Handler().ServeHTTP(w, r)
	}))
	defer hs.Close()

	var out bytes.Buffer
	code, err := run(context.Background(), config{
		file: docPath, server: hs.URL + "/v1", token: backupd.DefaultToken,
		databaseID: srv.DatabaseID(), clock: tenthClock{}, out: &out,
	})
	text := out.String()
	if code != 0 || err != nil {
		t.Fatalf("exit %d, %v\n%s", code, err, text)
	}
	for _, want := range []string{
		"▶ workflow backup-and-restore-database",
		"createBackup    attempt 1  POST /v1/databases/" + srv.DatabaseID() + "/backups  → 202  ok",
		"pollBackup      attempt 1  GET /v1/databases/" + srv.DatabaseID() + "/backups  → 200  not yet",
		"waiting 1s before attempt 2 of 121 (retryAfter)",
		"■ workflow backup-and-restore-database succeeded",
		"status:   succeeded",
		"databaseStatus   ready",
		"restoreBackup   succeeded attempts=1 status=202 action=next",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if !regexp.MustCompile(`backupId +backup-\S+`).MatchString(text) {
		t.Errorf("output lacks the backupId output:\n%s", text)
	}
	if strings.Contains(text, backupd.DefaultToken) {
		t.Errorf("the API token was printed:\n%s", text)
	}
	m := regexp.MustCompile(`\((\d+) HTTP requests\)`).FindStringSubmatch(text)
	mu.Lock()
	defer mu.Unlock()
	if m == nil {
		t.Fatalf("no request count in the output:\n%s", text)
	}
	if n, _ := strconv.Atoi(m[1]); n != agents["arazzo-embed-example/1.0"] || n < 5 || len(agents) != 1 {
		t.Errorf("the custom client sent %s requests; the service saw User-Agents %v", m[1], agents)
	}
}

// TestEmbedPrintsTypedError makes the in-process backup fail: the robust
// workflow ends at pollBackup, and the example explains it from the
// *engine.StepError.
func TestEmbedPrintsTypedError(t *testing.T) {
	var out bytes.Buffer
	code, err := run(context.Background(), config{
		file: docPath, token: "embed-test-token", databaseID: "db_embed",
		backupDelay: 50 * time.Millisecond, faults: backupd.Faults{FailNextBackups: 1},
		clock: tenthClock{}, out: &out,
	})
	text := out.String()
	if code != 1 || err != nil {
		t.Fatalf("exit %d, %v, want 1 and a printed error\n%s", code, err, text)
	}
	for _, want := range []string{
		"in-process backupd at http://127.0.0.1:",
		`action end "backupFailed"`,
		"■ workflow backup-and-restore-database failed",
		"status:   failed",
		"failed at step pollBackup (end): ",
		"  request: GET http://127.0.0.1:",
		"  criterion: ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "restoreBackup") {
		t.Errorf("a restore was attempted from a failed backup:\n%s", text)
	}
	if strings.Contains(text, "embed-test-token") {
		t.Errorf("the API token was printed:\n%s", text)
	}
}

func TestMissingDocumentCannotRun(t *testing.T) {
	var out bytes.Buffer
	code, err := run(context.Background(), config{file: "no-such.arazzo.yaml", server: "http://127.0.0.1:1/v1", out: &out})
	if code != 2 || err == nil {
		t.Fatalf("exit %d, %v; want 2 and an error", code, err)
	}
}
