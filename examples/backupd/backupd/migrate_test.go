package backupd

import (
	"net/http"
	"reflect"
	"testing"
	"time"
)

func TestMigrationApplied(t *testing.T) {
	ts := start(t, Config{})
	st, m := ts.call("POST", "/migrations", map[string]any{"name": "Double prices",
		"statements": []string{`UPDATE products SET price_cents = price_cents * 2`, `DELETE FROM order_items WHERE quantity > 2`}})
	if st != http.StatusCreated || m["status"] != MigrationApplied || m["appliedStatements"] != 2.0 || m["id"] != "migration-0001-double-prices" {
		t.Fatalf("applyDatabaseMigration = %d %v", st, m)
	}
	var n int
	if err := ts.s.DB().QueryRow(`SELECT COUNT(*) FROM order_items WHERE quantity > 2`).Scan(&n); err != nil || n != 0 {
		t.Errorf("the migration's DELETE was not applied: %d rows left (%v)", n, err)
	}
	st, got := ts.call("GET", "/migrations/"+m["id"].(string), nil)
	if st != http.StatusOK || !reflect.DeepEqual(got, m) {
		t.Errorf("getDatabaseMigration = %d %v, want %v", st, got, m)
	}
	if st, l := ts.call("GET", "/migrations", nil); st != http.StatusOK || len(l["data"].([]any)) != 1 {
		t.Errorf("listDatabaseMigrations = %d %v", st, l)
	}
}

// A failing statement answers 422 with the migration (status failed) and
// leaves the statements before it applied.
func TestMigrationFailsHalfway(t *testing.T) {
	ts := start(t, Config{})
	before := tables(t, ts.s.DB())
	st, m := ts.call("POST", "/migrations", map[string]any{"name": "broken",
		"statements": []string{`UPDATE customers SET name = 'migrated'`, `UPDATE no_such_table SET x = 1`, `DELETE FROM order_items`}})
	if st != http.StatusUnprocessableEntity || m["status"] != MigrationFailed || m["appliedStatements"] != 1.0 {
		t.Fatalf("applyDatabaseMigration = %d %v, want 422 failed after 1 statement", st, m)
	}
	e, _ := m["error"].(map[string]any)
	if e["code"] != "migration_failed" || e["failedStatement"] != 1.0 || e["message"] == "" {
		t.Errorf("error = %v", e)
	}
	after := tables(t, ts.s.DB())
	if reflect.DeepEqual(before["customers"], after["customers"]) {
		t.Error("the statement before the failing one was not applied")
	}
	if !reflect.DeepEqual(before["order_items"], after["order_items"]) {
		t.Error("a statement after the failing one was applied")
	}
	if st, got := ts.call("GET", "/migrations/"+m["id"].(string), nil); st != http.StatusOK || got["status"] != MigrationFailed {
		t.Errorf("getDatabaseMigration = %d %v", st, got)
	}
}

func TestMigrationErrors(t *testing.T) {
	ts := start(t, Config{RestoreDelay: time.Hour})
	for _, body := range []any{nil, map[string]any{"name": "x"}, map[string]any{"statements": []string{"SELECT 1"}},
		map[string]any{"name": "x", "statements": []string{" "}}} {
		if st, b := ts.call("POST", "/migrations", body); st != http.StatusBadRequest {
			t.Errorf("body %v: %d %v, want 400", body, st, b)
		}
	}
	if st, _ := ts.call("GET", "/migrations/migration-9999", nil); st != http.StatusNotFound {
		t.Errorf("unknown migration: %d, want 404", st)
	}
	if st, _ := ts.callAuth("POST", "/migrations", map[string]any{"name": "x", "statements": []string{"SELECT 1"}}, "Bearer nope"); st != http.StatusUnauthorized {
		t.Errorf("wrong token: %d, want 401", st)
	}
	// While a restore is pending (RestoreDelay holds it), migrations wait.
	id := ts.createBackup(nil)
	ts.waitBackup(id)
	if st, b := ts.call("POST", "/backups/"+id+"/restore", nil); st != http.StatusAccepted {
		t.Fatalf("restore: %d %v", st, b)
	}
	if st, b := ts.call("POST", "/migrations", map[string]any{"name": "x", "statements": []string{"SELECT 1"}}); st != http.StatusConflict {
		t.Errorf("migration during a restore: %d %v, want 409", st, b)
	}
}
