package backupd

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// variant is one backup/restore flavour of the round-trip test.
type variant struct {
	name string
	req  map[string]any
	// viaDatabase restores through POST /databases/{id}/restore (the real
	// Prisma API's shape) instead of …/backups/{backupId}/restore.
	viaDatabase bool
	// restoreBody is sent to the restore call.
	restoreBody map[string]any
}

var sqliteVariants = []variant{
	{name: "json", req: map[string]any{"label": "plain"}},
	{name: "json-gzip", req: map[string]any{"label": "gz", "compress": true, "reason": "pre-migration"}, viaDatabase: true},
	{name: "json-encrypted", req: map[string]any{"encrypt": true, "passphrase": "s3cret-pass"}},
	{name: "json-gzip-encrypted", req: map[string]any{"compress": true, "encrypt": true, "passphrase": "s3cret-pass", "retentionDays": 7},
		viaDatabase: true, restoreBody: map[string]any{"passphrase": "s3cret-pass"}},
}

var postgresVariants = []variant{
	{name: "json", req: map[string]any{"label": "plain", "method": "json"}},
	{name: "json-gzip", req: map[string]any{"compress": true}},
	{name: "json-gzip-encrypted", req: map[string]any{"compress": true, "encrypt": true, "passphrase": "s3cret-pass"}, viaDatabase: true},
	{name: "pg_dump", req: map[string]any{"method": "pg_dump", "compress": true}},
	{name: "pg_dump-encrypted", req: map[string]any{"method": "pg_dump", "encrypt": true, "passphrase": "s3cret-pass"}, viaDatabase: true},
}

func TestRoundTripSQLite(t *testing.T) {
	for _, v := range sqliteVariants {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			roundTrip(t, start(t, Config{PageSize: 10}), v)
		})
	}
}

func TestRoundTripPostgres(t *testing.T) {
	pgAdminURL(t)
	for _, v := range postgresVariants {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			if v.req["method"] == MethodPgDump {
				requirePgTools(t)
			}
			roundTrip(t, start(t, Config{DatabaseURL: newPostgresDB(t), PageSize: 10}), v)
		})
	}
}

// modify changes rows in every way a restore has to undo.
func modify(t *testing.T, ts *testServer) {
	db := ts.s.DB()
	mustExec(t, db, `UPDATE customers SET name = 'Changed' WHERE id = 1`)
	mustExec(t, db, `DELETE FROM order_items WHERE id = 2`)
	mustExec(t, db, `DELETE FROM orders WHERE id = 3`) // cascades to its items
	mustExec(t, db, `INSERT INTO customers (email, name, created_at) VALUES ('new@example.com', 'New', '2025-02-01 00:00:00')`)
	mustExec(t, db, `INSERT INTO orders (customer_id, status, placed_at) VALUES (26, 'pending', '2025-02-01 00:00:00')`)
}

func roundTrip(t *testing.T, ts *testServer, v variant) {
	db := ts.s.DB()
	before := tables(t, db)
	id := ts.createBackup(v.req)
	if !regexp.MustCompile(`^backup-\d{8}-\d{6}(-[a-z0-9-]+)?$`).MatchString(id) {
		t.Errorf("backup id %q does not match backup-YYYYMMDD-HHMMSS[-label]", id)
	}
	// Writes after the 202 must not reach the backup: it holds the data as
	// it was when accepted.
	modify(t, ts)
	b := ts.waitBackup(id)
	if b["status"] != StatusCompleted {
		t.Fatalf("backup ended %v: %v", b["status"], b["error"])
	}
	if sha, _ := b["sha256"].(string); len(sha) != 64 {
		t.Errorf("sha256 = %q, want 64 hex digits", sha)
	}
	if size, _ := b["sizeBytes"].(float64); size <= 0 {
		t.Errorf("sizeBytes = %v, want > 0", b["sizeBytes"])
	}
	if b["completedAt"] == nil {
		t.Error("completedAt is null on a completed backup")
	}
	created, _ := time.Parse(time.RFC3339Nano, b["createdAt"].(string))
	expires, _ := time.Parse(time.RFC3339Nano, b["expiresAt"].(string))
	days := 30
	if r, ok := v.req["retentionDays"].(int); ok {
		days = r
	}
	if !expires.Equal(created.AddDate(0, 0, days)) {
		t.Errorf("expiresAt %v, want createdAt %v + %d days", expires, created, days)
	}
	wantTables := map[string]float64{}
	for name, rows := range before {
		wantTables[name] = float64(len(rows))
	}
	gotTables := map[string]float64{}
	for _, x := range b["tables"].([]any) {
		m := x.(map[string]any)
		gotTables[m["name"].(string)] = m["rows"].(float64)
	}
	if !reflect.DeepEqual(gotTables, wantTables) {
		t.Errorf("backup tables = %v, want %v", gotTables, wantTables)
	}
	if reflect.DeepEqual(tables(t, db), before) {
		t.Fatal("modify did not change the data")
	}

	var st int
	var r map[string]any
	if v.viaDatabase {
		body := map[string]any{"source": map[string]any{"backupId": id, "databaseId": ts.s.DatabaseID()}}
		for k, x := range v.restoreBody {
			body[k] = x
		}
		st, r = ts.call("POST", "/restore", body)
	} else {
		var body any
		if v.restoreBody != nil {
			body = v.restoreBody
		}
		st, r = ts.call("POST", "/backups/"+id+"/restore", body)
	}
	if st != http.StatusAccepted || r["status"] != "restoring" || r["message"] == "" {
		t.Fatalf("restore = %d %v, want 202 restoring with a message", st, r)
	}
	last := ts.waitReady()
	if last["status"] != RestoreCompleted || last["backupId"] != id || last["id"] != r["id"] {
		t.Fatalf("last restore = %v, want completed restore %v of %s", last, r["id"], id)
	}
	if st, rr := ts.call("GET", "/restores/"+r["id"].(string), nil); st != 200 || rr["status"] != RestoreCompleted {
		t.Errorf("getDatabaseRestore = %d %v", st, rr)
	}

	after := tables(t, db)
	for _, name := range DemoTables {
		if !reflect.DeepEqual(after[name], before[name]) {
			t.Errorf("table %s after restore:\n%s\nwant:\n%s", name, fmtRows(after[name]), fmtRows(before[name]))
		}
	}
	bad, err := ForeignKeyViolations(context.Background(), db, ts.s.Dialect(), "public")
	if err != nil || len(bad) > 0 {
		t.Errorf("foreign key violations after restore: %v %v", bad, err)
	}
	// Sequences point at max(id): the next rows get fresh, dense ids.
	for table, want := range map[string]int64{"customers": 26, "orders": 41} {
		q := `INSERT INTO customers (email, name, created_at) VALUES ('after@example.com', 'After', '2025-03-01 00:00:00')`
		if table == "orders" {
			q = `INSERT INTO orders (customer_id, status, placed_at) VALUES (1, 'paid', '2025-03-01 00:00:00')`
		}
		mustExec(t, db, q)
		var got int64
		if err := db.QueryRow(`SELECT max(id) FROM ` + table).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("new %s row got id %d, want %d (sequence not reset to max(id))", table, got, want)
		}
	}
	if ts.s.Dialect() == Postgres {
		// GENERATED ALWAYS identity and bigserial too.
		mustExec(t, db, `INSERT INTO products (sku, name, price) VALUES ('SKU-NEW', 'New', 1.50)`)
		mustExec(t, db, `INSERT INTO order_items (order_id, product_id, quantity, unit_price) VALUES (1, 9, 1, 1.50)`)
	}
}

func TestPagedTableFiles(t *testing.T) {
	ts := start(t, Config{PageSize: 10})
	id := ts.createBackup(map[string]any{"compress": true})
	if b := ts.waitBackup(id); b["status"] != StatusCompleted {
		t.Fatalf("backup %v", b)
	}
	m, err := readManifest(ts.s.BackupDir(id))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]int{}
	for _, tbl := range m.Tables {
		files[tbl.Name] = len(tbl.Files)
		var rows int64
		for _, f := range tbl.Files {
			rows += f.Rows
			if _, err := os.Stat(filepath.Join(ts.s.BackupDir(id), f.Path)); err != nil {
				t.Errorf("file %s: %v", f.Path, err)
			}
			if !strings.HasSuffix(f.Path, ".json.gz") {
				t.Errorf("file %s, want .json.gz suffix", f.Path)
			}
		}
		if rows != tbl.Rows {
			t.Errorf("%s: pages hold %d rows, table %d", tbl.Name, rows, tbl.Rows)
		}
	}
	// 25 customers, 8 products, 40 orders, 80 order items at 10 per page.
	want := map[string]int{"customers": 3, "products": 1, "orders": 4, "order_items": 8}
	if !reflect.DeepEqual(files, want) {
		t.Errorf("files per table = %v, want %v", files, want)
	}
	sums, err := os.ReadFile(filepath.Join(ts.s.BackupDir(id), checksumsFile))
	if err != nil || strings.Count(string(sums), "\n") != 16 {
		t.Errorf("SHA256SUMS = %q, %v; want 16 lines", sums, err)
	}
}

func TestVerifyDetectsCorruption(t *testing.T) {
	for _, req := range []map[string]any{{}, {"compress": true, "encrypt": true, "passphrase": "s3cret-pass"}} {
		ts := start(t, Config{PageSize: 10})
		id := ts.createBackup(req)
		ts.waitBackup(id)
		st, v := ts.call("POST", "/backups/"+id+"/verify", nil)
		if st != 200 || v["status"] != "passed" || v["fileReadable"] != true || v["checksumValid"] != true {
			t.Fatalf("verify of an intact backup = %d %v", st, v)
		}
		if _, b := ts.call("GET", "/backups/"+id, nil); b["verification"].(map[string]any)["status"] != "passed" {
			t.Errorf("backup verification not recorded: %v", b["verification"])
		}
		m, _ := readManifest(ts.s.BackupDir(id))
		path := filepath.Join(ts.s.BackupDir(id), m.Tables[0].Files[1].Path)
		data, _ := os.ReadFile(path)
		data[len(data)/2] ^= 0x40
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		st, v = ts.call("POST", "/backups/"+id+"/verify", nil)
		if st != 200 || v["status"] != "failed" || v["checksumValid"] != false || !strings.Contains(v["problems"].([]any)[0].(string), "checksum mismatch") {
			t.Fatalf("verify of a corrupted backup = %d %v", st, v)
		}
		// A restore from the corrupted backup fails before touching data.
		mustExec(t, ts.s.DB(), `UPDATE customers SET name = 'kept' WHERE id = 2`)
		before := tables(t, ts.s.DB())
		st, _ = ts.call("POST", "/backups/"+id+"/restore", nil)
		if st != 202 {
			t.Fatalf("restore = %d", st)
		}
		last := ts.waitReady()
		if last["status"] != RestoreFailed || !strings.Contains(last["error"].(string), "checksum mismatch") {
			t.Errorf("restore of a corrupted backup = %v, want failed with checksum mismatch", last)
		}
		if !reflect.DeepEqual(tables(t, ts.s.DB()), before) {
			t.Error("a failed restore changed the data")
		}
		// A missing file is reported too.
		os.Remove(path)
		if _, v = ts.call("POST", "/backups/"+id+"/verify", nil); v["status"] != "failed" || v["fileExists"] != false {
			t.Errorf("verify with a missing file = %v", v)
		}
	}
}

func TestEncryptedNeedsPassphrase(t *testing.T) {
	dir := t.TempDir()
	ts := start(t, Config{DataDir: dir})
	id := ts.createBackup(map[string]any{"encrypt": true, "passphrase": "s3cret-pass"})
	ts.waitBackup(id)
	m, _ := readManifest(ts.s.BackupDir(id))
	data, _ := os.ReadFile(filepath.Join(ts.s.BackupDir(id), m.Tables[0].Files[0].Path))
	if strings.Contains(string(data), "customer01@example.com") {
		t.Fatal("encrypted file holds plaintext")
	}
	ts.http.Close()
	ts.s.Close()

	// After a restart the passphrase is no longer in memory.
	ts2 := start(t, Config{DataDir: dir})
	st, v := ts2.call("POST", "/backups/"+id+"/verify", nil)
	if st != 200 || v["status"] != "passed" || v["fileReadable"] != nil {
		t.Errorf("verify without passphrase = %d %v, want passed with fileReadable unknown", st, v)
	}
	if _, v = ts2.call("POST", "/backups/"+id+"/verify", map[string]any{"passphrase": "wrong-pass"}); v["status"] != "failed" {
		t.Errorf("verify with a wrong passphrase = %v, want failed", v)
	}
	ts2.call("POST", "/backups/"+id+"/restore", nil)
	if last := ts2.waitReady(); last["status"] != RestoreFailed || !strings.Contains(last["error"].(string), "passphrase") {
		t.Errorf("restore without passphrase = %v", last)
	}
	ts2.call("POST", "/backups/"+id+"/restore", map[string]any{"passphrase": "s3cret-pass"})
	if last := ts2.waitReady(); last["status"] != RestoreCompleted {
		t.Errorf("restore with passphrase = %v", last)
	}
}

func TestDeleteRemovesFiles(t *testing.T) {
	ts := start(t, Config{})
	id := ts.createBackup(nil)
	ts.waitBackup(id)
	dir := ts.s.BackupDir(id)
	if _, err := os.Stat(filepath.Join(dir, manifestFile)); err != nil {
		t.Fatal(err)
	}
	resp, _ := ts.raw("DELETE", "/backups/"+id, nil, "Bearer "+testToken)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete = %d, want 204", resp.StatusCode)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("backup folder still there: %v", err)
	}
	if st, e := ts.call("GET", "/backups/"+id, nil); st != 404 || e["error"].(map[string]any)["code"] != "backup_not_found" {
		t.Errorf("get deleted = %d %v", st, e)
	}
	if st, _ := ts.call("DELETE", "/backups/"+id, nil); st != 404 {
		t.Errorf("second delete = %d, want 404", st)
	}
}

func TestAuth(t *testing.T) {
	ts := start(t, Config{})
	for _, auth := range []string{"", "Bearer wrong", "Basic " + testToken, testToken} {
		st, e := ts.callAuth("GET", "/backups", nil, auth)
		errObj, _ := e["error"].(map[string]any)
		if st != 401 || errObj["code"] != "unauthorized" || errObj["message"] == "" {
			t.Errorf("auth %q: %d %v, want 401 unauthorized", auth, st, e)
		}
	}
	if st, _ := ts.callAuth("GET", "/backups", nil, "bearer "+testToken); st != 200 {
		t.Errorf("valid token = %d", st)
	}
	resp, body := ts.raw("GET", ts.http.URL+"/openapi.json", nil, "")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"createDatabaseBackup"`) {
		t.Errorf("openapi.json = %d", resp.StatusCode)
	}
}

func TestErrors(t *testing.T) {
	ts := start(t, Config{Faults: Faults{NeverComplete: true}})
	cases := []struct {
		method, path string
		body         any
		status       int
		code         string
	}{
		{"GET", ts.http.URL + "/v1/databases/nope/backups", nil, 404, "database_not_found"},
		{"POST", "/backups", map[string]any{"method": "tar"}, 400, "invalid_request"},
		{"POST", "/backups", map[string]any{"method": "pg_dump"}, 400, "method_unsupported"},
		{"POST", "/backups", map[string]any{"encrypt": true}, 400, "passphrase_required"},
		{"POST", "/backups", map[string]any{"encrypt": true, "passphrase": "abc"}, 400, "invalid_request"},
		{"POST", "/backups", map[string]any{"retentionDays": 0}, 400, "invalid_request"},
		{"POST", "/backups", `{"label": `, 400, "invalid_request"},
		{"POST", "/backups/backup-x/restore", nil, 404, "backup_not_found"},
		{"POST", "/restore", map[string]any{}, 400, "invalid_request"},
		{"GET", "/restores/restore-x", nil, 404, "restore_not_found"},
		{"GET", "/nothing", nil, 404, "not_found"},
	}
	for _, c := range cases {
		st, e := ts.call(c.method, c.path, c.body)
		errObj, _ := e["error"].(map[string]any)
		if st != c.status || errObj["code"] != c.code {
			t.Errorf("%s %s %v = %d %v, want %d %s", c.method, c.path, c.body, st, e, c.status, c.code)
		}
	}
	// A running backup can be neither restored, verified nor deleted.
	id := ts.createBackup(map[string]any{"label": nil})
	for _, c := range []struct{ method, path, code string }{
		{"POST", "/backups/" + id + "/restore", "backup_not_ready"},
		{"POST", "/backups/" + id + "/verify", "backup_not_ready"},
		{"DELETE", "/backups/" + id, "backup_running"},
	} {
		if st, e := ts.call(c.method, c.path, nil); st != 409 || e["error"].(map[string]any)["code"] != c.code {
			t.Errorf("%s %s on a running backup = %d %v, want 409 %s", c.method, c.path, st, e, c.code)
		}
	}
}

func TestBackupIDsAndListing(t *testing.T) {
	ts := start(t, Config{})
	var ids []string
	for i := 0; i < 5; i++ {
		ids = append(ids, ts.createBackup(map[string]any{"label": "Pre Migration!"}))
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Fatalf("duplicate id %s in %v", id, ids)
		}
		seen[id] = true
		if !regexp.MustCompile(`^backup-\d{8}-\d{6}-pre-migration(-\d+)?$`).MatchString(id) {
			t.Errorf("id %q", id)
		}
	}
	for _, id := range ids {
		ts.waitBackup(id)
	}
	// Newest first, in pages following nextCursor.
	var got []string
	cursor := ""
	for page := 0; page < 5; page++ {
		path := "/backups?limit=2"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		st, l := ts.call("GET", path, nil)
		if st != 200 {
			t.Fatalf("list = %d %v", st, l)
		}
		for _, b := range l["data"].([]any) {
			got = append(got, b.(map[string]any)["id"].(string))
		}
		p := l["pagination"].(map[string]any)
		if p["hasMore"] != true {
			break
		}
		cursor = p["nextCursor"].(string)
	}
	var want []string
	for i := len(ids) - 1; i >= 0; i-- {
		want = append(want, ids[i])
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("listed %v, want newest first %v", got, want)
	}
	if _, l := ts.call("GET", "/backups", nil); l["data"].([]any)[0].(map[string]any)["status"] != StatusCompleted {
		t.Errorf("data[0] not completed: %v", l["data"])
	}
}

func TestRestartKeepsBackups(t *testing.T) {
	dir := t.TempDir()
	ts := start(t, Config{DataDir: dir})
	id := ts.createBackup(map[string]any{"label": "keep"})
	ts.waitBackup(id)
	ts.http.Close()
	ts.s.Close()
	ts2 := start(t, Config{DataDir: dir})
	_, l := ts2.call("GET", "/backups", nil)
	if data := l["data"].([]any); len(data) != 1 || data[0].(map[string]any)["id"] != id || data[0].(map[string]any)["status"] != StatusCompleted {
		t.Errorf("after restart: %v", l)
	}
}

func TestFaults(t *testing.T) {
	t.Run("FailNextBackups", func(t *testing.T) {
		ts := start(t, Config{Faults: Faults{FailNextBackups: 1}})
		failed := ts.waitBackup(ts.createBackup(nil))
		if failed["status"] != StatusFailed || !strings.Contains(failed["error"].(string), "injected failure") {
			t.Errorf("first backup = %v, want failed with an error", failed)
		}
		if _, err := os.Stat(ts.s.BackupDir(failed["id"].(string))); !os.IsNotExist(err) {
			t.Errorf("failed backup left files: %v", err)
		}
		if ok := ts.waitBackup(ts.createBackup(nil)); ok["status"] != StatusCompleted {
			t.Errorf("second backup = %v, want completed", ok)
		}
	})
	t.Run("NeverComplete", func(t *testing.T) {
		ts := start(t, Config{Faults: Faults{NeverComplete: true}})
		id := ts.createBackup(nil)
		time.Sleep(100 * time.Millisecond)
		if _, b := ts.call("GET", "/backups/"+id, nil); b["status"] != StatusRunning {
			t.Errorf("backup = %v, want still running", b["status"])
		}
		if _, d := ts.call("GET", "", nil); d["activeBackups"] != 1.0 || d["status"] != "ready" {
			t.Errorf("database = %v", d)
		}
		ts.s.SetFaults(Faults{})
		if b := ts.waitBackup(ts.createBackup(nil)); b["status"] != StatusCompleted {
			t.Errorf("after clearing the fault: %v", b["status"])
		}
	})
	t.Run("DropListCalls", func(t *testing.T) {
		ts := start(t, Config{Faults: Faults{DropListCalls: 2}})
		for i := 0; i < 2; i++ {
			req, _ := http.NewRequest("GET", ts.base+"/backups", nil)
			req.Header.Set("Authorization", "Bearer "+testToken)
			if resp, err := http.DefaultTransport.RoundTrip(req); err == nil {
				resp.Body.Close()
				t.Fatalf("call %d answered %d, want a dropped connection", i, resp.StatusCode)
			}
		}
		if st, _ := ts.call("GET", "/backups", nil); st != 200 {
			t.Errorf("third call = %d", st)
		}
		if f := ts.s.Faults(); f.DropListCalls != 0 {
			t.Errorf("DropListCalls left %d", f.DropListCalls)
		}
	})
	t.Run("ThrottleAndRetryAfter", func(t *testing.T) {
		ts := start(t, Config{Faults: Faults{ThrottleListCalls: 1, RetryAfter: 1500 * time.Millisecond, ResponseDelay: 50 * time.Millisecond}})
		began := time.Now()
		resp, _ := ts.raw("GET", "/backups", nil, "Bearer "+testToken)
		if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2" {
			t.Errorf("throttled = %d Retry-After %q, want 429 and 2", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
		if time.Since(began) < 50*time.Millisecond {
			t.Error("ResponseDelay not applied")
		}
		resp, _ = ts.raw("GET", "/backups", nil, "Bearer "+testToken)
		if resp.StatusCode != 200 || resp.Header.Get("Retry-After") != "2" {
			t.Errorf("next = %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	})
	t.Run("FailNextRestores", func(t *testing.T) {
		// RestoreDelay is long enough to observe "restoring" even on a
		// loaded machine.
		ts := start(t, Config{Faults: Faults{FailNextRestores: 1}, RestoreDelay: 500 * time.Millisecond})
		id := ts.createBackup(nil)
		ts.waitBackup(id)
		ts.call("POST", "/backups/"+id+"/restore", nil)
		if _, d := ts.call("GET", "", nil); d["status"] != "restoring" {
			t.Errorf("database status during RestoreDelay = %v, want restoring", d["status"])
		}
		if last := ts.waitReady(); last["status"] != RestoreFailed {
			t.Errorf("restore = %v, want failed", last)
		}
	})
}

func TestBackupDelay(t *testing.T) {
	ts := start(t, Config{BackupDelay: 150 * time.Millisecond})
	b := ts.waitBackup(ts.createBackup(nil))
	// Timestamps, not wall-clock checks in the test, so a loaded machine
	// cannot make this flaky.
	created, _ := time.Parse(time.RFC3339Nano, b["createdAt"].(string))
	completed, _ := time.Parse(time.RFC3339Nano, b["completedAt"].(string))
	if d := completed.Sub(created); d < 150*time.Millisecond {
		t.Errorf("backup completed %v after creation, want at least BackupDelay 150ms", d)
	}
}

// TestConcurrent runs many backups and restores at once (run with -race).
func TestConcurrent(t *testing.T) {
	ts := start(t, Config{PageSize: 7})
	before := tables(t, ts.s.DB())
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, b := ts.call("POST", "/backups", map[string]any{"label": "load", "compress": i%2 == 0})
			if st != 202 {
				errs <- "create failed"
				return
			}
			id := b["id"].(string)
			for {
				_, b := ts.call("GET", "/backups/"+id, nil)
				if b["status"] == StatusCompleted {
					break
				}
				if b["status"] == StatusFailed {
					errs <- "backup failed: " + b["error"].(string)
					return
				}
				time.Sleep(2 * time.Millisecond)
			}
			ts.call("GET", "/backups", nil)
			if st, _ := ts.call("POST", "/backups/"+id+"/restore", nil); st != 202 {
				errs <- "restore not accepted"
			}
			ts.call("POST", "/backups/"+id+"/verify", nil)
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	ts.waitReady()
	if !reflect.DeepEqual(tables(t, ts.s.DB()), before) {
		t.Error("data changed after restoring identical backups")
	}
}

func TestOpenAPICopyIsCanonical(t *testing.T) {
	canonical := filepath.Join("..", "..", "..", "workflows", "openapi", "prisma-postgres-management-openapi.yml")
	want, err := os.ReadFile(canonical)
	if err != nil {
		t.Fatalf("read the canonical description: %v", err)
	}
	if string(want) != string(openAPIYAML) {
		t.Fatalf("examples/backupd/backupd/openapi.yml differs from %s: copy it over (cp %s examples/backupd/backupd/openapi.yml)", canonical, canonical)
	}
	doc, err := openAPIJSON()
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range []string{"createDatabaseBackup", "listDatabaseBackups", "getDatabaseBackup", "verifyDatabaseBackup",
		"deleteDatabaseBackup", "restoreDatabaseBackup", "restoreDatabase", "getDatabase", "listDatabases", "getDatabaseRestore"} {
		if !strings.Contains(string(doc), `"operationId": "`+op+`"`) {
			t.Errorf("operationId %s missing", op)
		}
	}
}
