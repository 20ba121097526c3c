// Command embed shows how a Go program embeds the arazzo engine: it opens
// the robust Prisma backup-and-restore workflow, runs it with its own
// http.Client against a backup service, prints progress through an
// observer and then the result — or, when the run fails, the typed error.
//
//	go run ./examples/embed                      # against an in-process backupd (SQLite)
//	go run ./examples/embed --server http://127.0.0.1:8080/v1 --token backupd-dev-token
//
// Exit status: 0 the workflow succeeded, 1 it failed, 2 it could not run.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-arazzo/arazzo/engine"
	"github.com/go-arazzo/arazzo/examples/backupd/backupd"
	"github.com/go-arazzo/arazzo/runner"
)

// The workflow this example runs, and the source description its
// requests go to.
const (
	defaultFile = "workflows/arazzo/prisma-postgres-backup-and-restore-robust.arazzo.yaml"
	workflowID  = "backup-and-restore-database"
	sourceName  = "postgresManagementApi"
)

// config is what a run needs; main fills it from flags, the test directly.
type config struct {
	file       string // the Arazzo document
	server     string // base URL of the backup API; "" starts one in process
	token      string
	databaseID string
	// backupDelay and restoreDelay slow the in-process service down so
	// that the polling is visible.
	backupDelay, restoreDelay time.Duration
	// faults injects failures into the in-process service.
	faults backupd.Faults
	// clock replaces the engine's clock (nil: real time).
	clock engine.Clock
	out   io.Writer
}

func main() {
	cfg := config{out: os.Stdout}
	flag.StringVar(&cfg.file, "file", defaultFile, "the Arazzo `document` to run (relative to the repository root by default)")
	flag.StringVar(&cfg.server, "server", "", "base `URL` of the backup API (e.g. http://127.0.0.1:8080/v1); empty starts a backupd in this process")
	flag.StringVar(&cfg.token, "token", backupd.DefaultToken, "API `token`")
	flag.StringVar(&cfg.databaseID, "database", backupd.DefaultDatabaseID, "database `id` to back up and restore")
	flag.DurationVar(&cfg.backupDelay, "backup-delay", 2*time.Second, "how long the in-process backup stays running")
	flag.DurationVar(&cfg.restoreDelay, "restore-delay", time.Second, "how long the in-process restore stays restoring")
	failBackup := flag.Bool("fail-backup", false, "make the in-process backup fail, to see a typed error")
	flag.Parse()
	if *failBackup {
		cfg.faults.FailNextBackups = 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	code, err := run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "embed:", err)
	}
	os.Exit(code)
}

// run runs the workflow and prints what happens; it returns the exit status.
func run(ctx context.Context, cfg config) (int, error) {
	if cfg.server == "" {
		base, stop, err := startBackupd(cfg)
		if err != nil {
			return 2, fmt.Errorf("starting the in-process backup service: %w", err)
		}
		defer stop()
		cfg.server = base
		fmt.Fprintf(cfg.out, "in-process backupd at %s\n", base)
	}

	// A custom client: its own timeout, a User-Agent, and a count of the
	// requests it sends (transport retries included).
	var sent atomic.Int64
	client := &http.Client{
		Timeout:   30 * time.Second,
		Transport: &userAgent{next: http.DefaultTransport, agent: "arazzo-embed-example/1.0", count: &sent},
	}
	opts := []engine.Option{
		engine.WithHTTPClient(client),
		engine.WithServer(sourceName, cfg.server),
		engine.WithObserver(progress{out: cfg.out}),
		engine.WithRunTimeout(5 * time.Minute),
	}
	if cfg.clock != nil {
		opts = append(opts, engine.WithClock(cfg.clock))
	}

	doc, err := engine.Open(ctx, cfg.file, opts...)
	if err != nil {
		return 2, err // unreadable or unparsable: nothing to run
	}
	if !doc.Valid() {
		return 2, fmt.Errorf("%s has errors:\n%s", cfg.file, doc.Diagnostics().Errors())
	}
	res, err := doc.Run(ctx, workflowID, map[string]any{
		"apiToken":    cfg.token,
		"databaseId":  cfg.databaseID,
		"backupLabel": "embed-example",
	})
	if res == nil {
		return 2, err // unknown workflow, invalid document
	}
	printResult(cfg.out, res, sent.Load())

	var stepErr *engine.StepError
	if errors.As(err, &stepErr) {
		printStepError(cfg.out, stepErr)
		return 1, nil
	}
	if err != nil {
		return 1, err
	}
	return 0, nil
}

// startBackupd serves a backupd over SQLite in a temporary directory on a
// free local port.
func startBackupd(cfg config) (base string, stop func(), err error) {
	srv, err := backupd.New(backupd.Config{
		Token:        cfg.token,
		DatabaseID:   cfg.databaseID,
		BackupDelay:  cfg.backupDelay,
		RestoreDelay: cfg.restoreDelay,
		Faults:       cfg.faults,
	})
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Close()
		return "", nil, err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	return "http://" + ln.Addr().String() + "/v1", func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(ctx)
		srv.Close()
	}, nil
}

// userAgent sets the User-Agent header and counts requests.
type userAgent struct {
	next  http.RoundTripper
	agent string
	count *atomic.Int64
}

func (u *userAgent) RoundTrip(req *http.Request) (*http.Response, error) {
	u.count.Add(1)
	req = req.Clone(req.Context()) // a RoundTripper must not modify its request
	req.Header.Set("User-Agent", u.agent)
	return u.next.RoundTrip(req)
}

// progress prints one line per event of interest. Observe is called from
// the goroutine running the workflow; this one runs one workflow at a time,
// so it needs no locking.
type progress struct{ out io.Writer }

func (p progress) Observe(e engine.Event) {
	indent := func(depth int) string { return strings.Repeat("  ", depth) }
	switch e := e.(type) {
	case runner.WorkflowStarted:
		fmt.Fprintf(p.out, "%s▶ workflow %s\n", indent(e.Depth), e.WorkflowID)
	case runner.StepAttempt:
		line := fmt.Sprintf("%s  %-15s attempt %d", indent(e.Depth), e.StepID, e.Attempt)
		if e.Request != nil {
			// The path only: query strings can carry secrets.
			line += "  " + e.Request.Method + " " + pathOf(e.Request.URL)
		}
		switch {
		case e.Response != nil:
			line += fmt.Sprintf("  → %d", e.Response.StatusCode)
		case e.Err != nil:
			line += "  → no response"
		}
		if e.Passed {
			line += "  ok"
		} else {
			line += "  not yet"
		}
		fmt.Fprintln(p.out, line)
	case runner.Waiting:
		fmt.Fprintf(p.out, "%s    waiting %s before attempt %d of %d (%s)\n", indent(e.Depth), e.Duration, e.Attempt, e.Limit+1, e.Reason)
	case runner.ActionTaken:
		if e.Type == "end" || e.Type == "goto" {
			line := fmt.Sprintf("%s    action %s %q", indent(e.Depth), e.Type, e.Name)
			if e.Target != "" {
				line += " → " + e.Target
			}
			fmt.Fprintln(p.out, line)
		}
	case runner.StepFinished:
		// The step's summary is printed with the result.
	case runner.WorkflowFinished:
		fmt.Fprintf(p.out, "%s■ workflow %s %s\n", indent(e.Depth), e.Result.WorkflowID, e.Result.Status)
	}
}

func pathOf(raw string) string {
	if i := strings.Index(raw, "://"); i >= 0 {
		raw = raw[i+3:]
		if j := strings.IndexByte(raw, '/'); j >= 0 {
			raw = raw[j:]
		}
	}
	if i := strings.IndexByte(raw, '?'); i >= 0 {
		raw = raw[:i]
	}
	return raw
}

// printResult prints the status, the outputs and each step's attempts.
func printResult(out io.Writer, res *engine.Result, requests int64) {
	fmt.Fprintf(out, "\nstatus:   %s (%d HTTP requests)\n", res.Status, requests)
	fmt.Fprintln(out, "outputs:")
	names := make([]string, 0, len(res.Outputs))
	for k := range res.Outputs {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(out, "  %-16s %v\n", k, res.Outputs[k])
	}
	fmt.Fprintln(out, "steps:")
	for _, s := range res.Steps {
		fmt.Fprintf(out, "  %-15s %-9s attempts=%d status=%d action=%s\n", s.StepID, s.Status, s.Attempts, s.StatusCode, s.Action)
	}
}

// printStepError explains a failure from the typed error.
func printStepError(out io.Writer, e *engine.StepError) {
	fmt.Fprintf(out, "\nfailed at step %s (%s): %s\n", e.StepID, e.Kind, e.Message)
	if e.Request != "" {
		fmt.Fprintf(out, "  request: %s → %d\n", e.Request, e.StatusCode)
	}
	for _, c := range e.Criteria {
		fmt.Fprintf(out, "  criterion: %s\n", c.Explanation)
	}
	if e.Hint != "" {
		fmt.Fprintf(out, "  hint: %s\n", e.Hint)
	}
}
