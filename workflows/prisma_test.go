package workflows_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/go-arazzo/arazzo/engine"
	"github.com/go-arazzo/arazzo/examples/backupd/backupd"
	"github.com/go-arazzo/arazzo/internal/testutil"
	"github.com/go-arazzo/arazzo/runner"
)

const (
	publishedFlow = "arazzo/prisma-postgres-backup-and-restore.arazzo.yaml"
	robustFlow    = "arazzo/prisma-postgres-backup-and-restore-robust.arazzo.yaml"
	prismaSource  = "postgresManagementApi"
	prismaFlowID  = "backup-and-restore-database"
)

// fastClock waits a hundredth of the asked time, so polls with
// retryAfter: 1 take 10 ms while still really waiting.
type fastClock struct{}

func (fastClock) Now() time.Time { return time.Now() }
func (fastClock) Sleep(ctx context.Context, d time.Duration) error {
	return runner.SystemClock{}.Sleep(ctx, d/100)
}

type prismaEnv struct {
	srv  *backupd.Server
	http *httptest.Server
	// before is the data as backed up; changed reports the change made
	// right after the backup was written.
	before  map[string][]map[string]any
	mu      sync.Mutex
	changed error
	didMod  bool
}

// startBackupd starts the backup service over databaseURL ("" = SQLite)
// and arranges for the data to change as soon as a backup is written.
func startBackupd(t *testing.T, cfg backupd.Config) *prismaEnv {
	t.Helper()
	env := &prismaEnv{}
	cfg.KDFIterations = 1000
	cfg.OnBackupWritten = func(string) {
		env.mu.Lock()
		defer env.mu.Unlock()
		env.didMod = true
		env.changed = changeRows(env.srv.DB())
	}
	srv, err := backupd.New(cfg)
	if err != nil {
		t.Fatalf("backupd: %v", err)
	}
	env.srv = srv
	env.http = httptest.NewServer(srv.Handler())
	t.Cleanup(func() { env.http.Close(); srv.Close() })
	env.before = dump(t, srv.DB())
	return env
}

func changeRows(db *sql.DB) error {
	for _, s := range []string{
		`UPDATE customers SET name = 'changed' WHERE id = 1`,
		`DELETE FROM order_items WHERE order_id = (SELECT MIN(id) FROM orders)`,
		`DELETE FROM orders WHERE id = (SELECT MIN(id) FROM orders)`,
		`INSERT INTO customers (email, name, created_at) VALUES ('new@example.com', 'new', '2026-01-01T00:00:00Z')`,
	} {
		if _, err := db.Exec(s); err != nil {
			return err
		}
	}
	return nil
}

func dump(t *testing.T, db *sql.DB) map[string][]map[string]any {
	t.Helper()
	out := map[string][]map[string]any{}
	for _, tbl := range backupd.DemoTables {
		rows, err := backupd.DumpTable(context.Background(), db, tbl)
		if err != nil {
			t.Fatalf("dump %s: %v", tbl, err)
		}
		out[tbl] = rows
	}
	return out
}

func (env *prismaEnv) open(t *testing.T, file string, opts ...engine.Option) *engine.Document {
	t.Helper()
	opts = append([]engine.Option{engine.WithServer(prismaSource, env.http.URL+"/v1"), engine.WithClock(fastClock{})}, opts...)
	doc, err := engine.Open(context.Background(), file, opts...)
	if err != nil {
		t.Fatalf("open %s: %v", file, err)
	}
	if !doc.Valid() {
		t.Fatalf("%s has errors: %v", file, doc.Diagnostics().Errors())
	}
	return doc
}

func (env *prismaEnv) inputs(token string) map[string]any {
	return map[string]any{"apiToken": token, "databaseId": env.srv.DatabaseID(), "backupLabel": "e2e"}
}

// checkRestored asserts the data was changed after the backup and that
// the restore brought back exactly the backed-up rows, with foreign keys
// intact and sequences past the restored ids.
func (env *prismaEnv) checkRestored(t *testing.T, schema string) {
	t.Helper()
	env.mu.Lock()
	if !env.didMod || env.changed != nil {
		t.Fatalf("data was not changed between backup and restore: %v", env.changed)
	}
	env.mu.Unlock()
	after := dump(t, env.srv.DB())
	for _, tbl := range backupd.DemoTables {
		if !reflect.DeepEqual(env.before[tbl], after[tbl]) {
			t.Errorf("table %s after restore differs from the backup (%d rows, want %d)", tbl, len(after[tbl]), len(env.before[tbl]))
		}
	}
	v, err := backupd.ForeignKeyViolations(context.Background(), env.srv.DB(), env.srv.Dialect(), schema)
	if err != nil || len(v) > 0 {
		t.Errorf("foreign keys after restore: %v %v", v, err)
	}
	var id int64
	row := env.srv.DB().QueryRow(`INSERT INTO customers (email, name, created_at) VALUES ('post-restore@example.com', 'x', '2026-01-01T00:00:00Z') RETURNING id`)
	if err := row.Scan(&id); err != nil {
		t.Fatalf("insert after restore (sequence not reset?): %v", err)
	}
	if want := int64(len(env.before["customers"]) + 1); id < want {
		t.Errorf("new customer id %d collides with restored ids (want ≥ %d)", id, want)
	}
}

func TestPrismaRobustSQLite(t *testing.T) {
	env := startBackupd(t, backupd.Config{BackupDelay: 30 * time.Millisecond, RestoreDelay: 10 * time.Millisecond})
	doc := env.open(t, robustFlow)
	res, err := doc.Run(context.Background(), prismaFlowID, env.inputs(env.srv.Token()))
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if id, _ := res.Outputs["backupId"].(string); !strings.HasPrefix(id, "backup-") || res.Outputs["databaseStatus"] != "ready" {
		t.Errorf("outputs = %v", res.Outputs)
	}
	env.checkRestored(t, "")
}

// The published workflow polls once: it works when the backup is complete
// by the first poll (the service answers slowly enough here).
func TestPrismaPublishedSeedAsIs(t *testing.T) {
	env := startBackupd(t, backupd.Config{Faults: backupd.Faults{ResponseDelay: 150 * time.Millisecond}, RestoreDelay: 10 * time.Millisecond})
	doc := env.open(t, publishedFlow)
	res, err := doc.Run(context.Background(), prismaFlowID, env.inputs(env.srv.Token()))
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if res.Outputs["restoreStatus"] != "restoring" {
		t.Errorf("outputs = %v", res.Outputs)
	}
	// Wait for the asynchronous restore the workflow started.
	waitReady(t, env)
	env.checkRestored(t, "")
}

func waitReady(t *testing.T, env *prismaEnv) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var n int
		// A renamed customer 1 is the marker of the change; the restore undoes it.
		if err := env.srv.DB().QueryRow(`SELECT COUNT(*) FROM customers WHERE name = 'changed'`).Scan(&n); err == nil && n == 0 {
			time.Sleep(50 * time.Millisecond) // let the restore transaction finish its last table
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the restore did not finish within 10 s")
}

func TestPrismaRobustPostgres(t *testing.T) {
	url := freshPostgresDB(t)
	env := startBackupd(t, backupd.Config{DatabaseURL: url, BackupDelay: 30 * time.Millisecond, RestoreDelay: 10 * time.Millisecond})
	doc := env.open(t, robustFlow)
	if _, err := doc.Run(context.Background(), prismaFlowID, env.inputs(env.srv.Token())); err != nil {
		t.Fatalf("run: %v", err)
	}
	env.checkRestored(t, "public")
}

func TestPrismaFailedBackupNeverRestores(t *testing.T) {
	env := startBackupd(t, backupd.Config{BackupDelay: 20 * time.Millisecond, Faults: backupd.Faults{FailNextBackups: 1}})
	doc := env.open(t, robustFlow)
	res, err := doc.Run(context.Background(), prismaFlowID, env.inputs(env.srv.Token()))
	var se *engine.StepError
	if !errors.As(err, &se) || se.StepID != "pollBackup" || se.Kind != runner.KindEnd {
		t.Fatalf("want the workflow to end at pollBackup, got %v", err)
	}
	for _, s := range res.Steps {
		if s.StepID == "restoreBackup" {
			t.Errorf("restore was called after a failed backup")
		}
	}
}

func TestPrismaPollStopsAtRetryLimit(t *testing.T) {
	env := startBackupd(t, backupd.Config{Faults: backupd.Faults{NeverComplete: true}})
	doc := env.open(t, robustFlow)
	res, err := doc.Run(context.Background(), prismaFlowID, env.inputs(env.srv.Token()))
	var se *engine.StepError
	if !errors.As(err, &se) || se.Kind != runner.KindRetryLimit || se.StepID != "pollBackup" {
		t.Fatalf("want retry-limit at pollBackup, got %v", err)
	}
	if got := res.Steps[1].Attempts; got != 121 {
		t.Errorf("poll attempts = %d, want 1 + retryLimit 120", got)
	}
}

func TestPrismaUnauthorized(t *testing.T) {
	env := startBackupd(t, backupd.Config{})
	doc := env.open(t, robustFlow)
	_, err := doc.Run(context.Background(), prismaFlowID, env.inputs("wrong-token"))
	var se *engine.StepError
	if !errors.As(err, &se) || se.StatusCode != 401 || se.StepID != "createBackup" {
		t.Fatalf("want a 401 at createBackup, got %v", err)
	}
	if !strings.Contains(se.Message, "401") {
		t.Errorf("message does not say 401: %s", se.Message)
	}
}

func TestPrismaSurvivesDroppedConnectionsMidPoll(t *testing.T) {
	env := startBackupd(t, backupd.Config{BackupDelay: 20 * time.Millisecond, RestoreDelay: 10 * time.Millisecond,
		Faults: backupd.Faults{DropListCalls: 2}})
	doc := env.open(t, robustFlow)
	res, err := doc.Run(context.Background(), prismaFlowID, env.inputs(env.srv.Token()))
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	// net/http itself silently re-sends an idempotent request once when a
	// reused keep-alive connection closes, so at least one of the two drops
	// is seen as a transport retry.
	if res.Steps[1].TransportRetries < 1 {
		t.Errorf("transport retries on the poll = %d, want ≥ 1", res.Steps[1].TransportRetries)
	}
	env.checkRestored(t, "")
}

// freshPostgresDB creates a throw-away database on the local PostgreSQL
// server, or skips loudly when there is none.
func freshPostgresDB(t *testing.T) string {
	t.Helper()
	admin, err := sql.Open("pgx", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable&connect_timeout=3")
	if err != nil {
		testutil.SkipLoudly(t, "PostgreSQL: %v", err)
	}
	t.Cleanup(func() { admin.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		testutil.SkipLoudly(t, "PostgreSQL not reachable on 127.0.0.1:5432 (CI has it): %v", err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "arazzo_e2e_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
	return "postgres://postgres@127.0.0.1:5432/" + name + "?sslmode=disable"
}
