package main

// Benchmark 6 of docs/performance.md: whole-process wall time of the built
// CLI, `arazzo run` of the 3-step poll workflow against a local server and
// `arazzo version`. The target for `run` is under 50 ms.

import (
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/go-arazzo/arazzo/internal/benchsvc"
	"github.com/go-arazzo/arazzo/internal/testutil"
)

const startupToken = "startup-token"

// startupArgs writes the workload documents and returns the arguments of
// `arazzo run` against srv.
func startupArgs(tb testing.TB, srv *httptest.Server) []string {
	tb.Helper()
	dir := tb.TempDir()
	if err := benchsvc.WriteFiles(dir); err != nil {
		tb.Fatal(err)
	}
	return []string{"run", filepath.Join(dir, benchsvc.PollFile),
		"--server", benchsvc.Source + "=" + srv.URL + "/v1",
		"--input", "token=" + startupToken, "--input", "databaseId=db-cli"}
}

// buildCLI builds the arazzo binary into a temporary directory, or
// returns $ARAZZO_BENCH_BIN when set (to measure another build, such as
// an earlier commit's, with the same workload).
func buildCLI(b *testing.B) string {
	b.Helper()
	if bin := os.Getenv("ARAZZO_BENCH_BIN"); bin != "" {
		return bin
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		testutil.SkipLoudly(b, "the go command is not on PATH, so the CLI cannot be built: %v", err)
	}
	bin := filepath.Join(b.TempDir(), "arazzo")
	cmd := exec.Command(goBin, "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// BenchmarkStartup runs the built binary once per iteration.
func BenchmarkStartup(b *testing.B) {
	bin := buildCLI(b)
	svc := &benchsvc.Server{Token: startupToken}
	srv := httptest.NewServer(svc)
	defer srv.Close()
	args := startupArgs(b, srv)
	b.Run("run", func(b *testing.B) {
		before := svc.Counts().Restores
		runs := 0
		for b.Loop() {
			if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
				b.Fatalf("arazzo run: %v\n%s", err, out)
			}
			runs++
		}
		if got := svc.Counts().Restores - before; got != int64(runs) {
			b.Fatalf("%d runs restored %d backups", runs, got)
		}
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(runs), "ms/run")
	})
	b.Run("in-process", func(b *testing.B) {
		// The same command without process start: what loading, validating
		// and running cost, apart from the runtime and package init.
		b.ReportAllocs()
		for b.Loop() {
			if code, out, errOut := runCLI(args...); code != exitOK {
				b.Fatalf("exit %d: %s%s", code, out, errOut)
			}
		}
	})
	b.Run("version", func(b *testing.B) {
		runs := 0
		for b.Loop() {
			if out, err := exec.Command(bin, "version").CombinedOutput(); err != nil {
				b.Fatalf("arazzo version: %v\n%s", err, out)
			}
			runs++
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1e3/float64(runs), "ms/run")
	})
}

// TestStartupWorkload checks the start-up benchmark's workload in process:
// `arazzo run` of the poll workflow succeeds with three requests.
func TestStartupWorkload(t *testing.T) {
	svc := &benchsvc.Server{Token: startupToken}
	srv := httptest.NewServer(svc)
	defer srv.Close()
	code, out, errOut := runCLI(startupArgs(t, srv)...)
	if code != exitOK {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if c := svc.Counts(); c != (benchsvc.Counts{Creates: 1, Lists: 1, Restores: 1}) {
		t.Errorf("server counts %+v, want one create, one list, one restore", c)
	}
}
