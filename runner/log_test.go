package runner_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/go-arazzo/arazzo/runner"
)

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestLoggerReceivesDebugLogs(t *testing.T) {
	const secret = "label-that-is-secret"
	api := &backupAPI{pollsToFinish: 3}
	h := newHarness(t, api.handler())
	b := writeDoc(t, header(fmt.Sprintf(pollFlow, 10)))
	var buf syncBuffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r := h.runner(b, func(o *runner.Options) { o.Logger = logger })
	if _, err := r.Run(context.Background(), "backupAndRestore", map[string]any{"databaseId": "db1", "label": secret}); err != nil {
		t.Fatalf("run failed: %v", err)
	}
	out := buf.String()
	if strings.Contains(out, secret) {
		t.Errorf("debug logs contain the request body value %q:\n%s", secret, out)
	}
	var lines []map[string]any
	count := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if m["level"] != "DEBUG" {
			t.Errorf("log line at level %v, want DEBUG: %s", m["level"], l)
		}
		lines = append(lines, m)
		count[fmt.Sprint(m["msg"])]++
	}
	// create, 3 polls, restore; 2 waits before polls 2 and 3.
	want := map[string]int{"workflow started": 1, "step attempt": 5, "waiting": 2, "workflow finished": 1}
	for msg, n := range want {
		if count[msg] != n {
			t.Errorf("%d %q lines, want %d:\n%s", count[msg], msg, n, out)
		}
	}
	if count["action"] < 5 {
		t.Errorf("%d action lines, want one per attempt:\n%s", count["action"], out)
	}
	first := lines[1]
	if first["msg"] != "step attempt" || first["request"] != "POST "+h.srv.URL+"/v1/databases/db1/backups" ||
		first["status"] != float64(202) || first["passed"] != true {
		t.Errorf("first attempt line = %v", first)
	}
	for _, m := range lines {
		switch m["msg"] {
		case "step attempt":
			if m["step"] == "poll" && m["passed"] == false {
				if fc, _ := m["failedCriteria"].([]any); len(fc) != 1 || fc[0] != "$response.body#/data/0/status == 'completed'" {
					t.Errorf("failed poll line does not name the failed criterion: %v", m)
				}
			}
		case "waiting":
			if m["duration"] != float64(2e9) || m["reason"] != "retryAfter" {
				t.Errorf("waiting line = %v", m)
			}
		case "workflow finished":
			if m["status"] != "succeeded" || m["workflow"] != "backupAndRestore" {
				t.Errorf("finished line = %v", m)
			}
		}
	}

	// A logger above debug level gets nothing, and costs no formatting.
	var quietBuf syncBuffer
	quiet := slog.New(slog.NewJSONHandler(&quietBuf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	r = h.runner(b, func(o *runner.Options) { o.Logger = quiet })
	if _, err := r.Run(context.Background(), "backupAndRestore", map[string]any{"databaseId": "db1"}); err != nil {
		t.Fatalf("run failed: %v", err)
	}
	if quietBuf.String() != "" {
		t.Errorf("info-level logger received %q", quietBuf.String())
	}
}
