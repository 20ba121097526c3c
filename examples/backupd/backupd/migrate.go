package backupd

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

// Migration statuses.
const (
	MigrationApplied = "applied"
	MigrationFailed  = "failed"
)

// Limits of a migration request.
const (
	maxMigrationStatements = 100
	maxMigrationNameLen    = 200
)

// Migration is the API's migration object: a named list of SQL statements
// applied to the database, the way a schema-migration tool applies one
// migration file.
type Migration struct {
	ID         string `json:"id"`
	DatabaseID string `json:"databaseId"`
	Name       string `json:"name"`
	// Status is "applied" or "failed".
	Status string `json:"status"`
	// Statements is the number of statements in the migration;
	// AppliedStatements how many of them were applied (all of them when
	// the migration is applied; those before the failing one otherwise).
	Statements        int       `json:"statements"`
	AppliedStatements int       `json:"appliedStatements"`
	StartedAt         time.Time `json:"startedAt"`
	FinishedAt        time.Time `json:"finishedAt"`
	// Error says why a failed migration failed. It has the shape of the
	// API's error object, so a 422 answer is also a valid error body.
	Error *MigrationError `json:"error,omitempty"`
}

// MigrationError is the error object of a failed migration.
type MigrationError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// FailedStatement is the 0-based index of the statement that failed.
	FailedStatement int      `json:"failedStatement"`
	Suggestions     []string `json:"suggestions,omitempty"`
}

// migrationRequest is the applyDatabaseMigration body.
type migrationRequest struct {
	Name       string   `json:"name"`
	Statements []string `json:"statements"`
}

// applyMigration runs the statements of req one by one, each in its own
// transaction (like a migration tool running a non-transactional migration):
// when a statement fails, the statements before it stay applied. That
// partial state is what a safety backup taken before the migration undoes.
func (s *Server) applyMigration(r *http.Request, req migrationRequest) (Migration, error) {
	name := strings.TrimSpace(req.Name)
	switch {
	case name == "":
		return Migration{}, errf(400, "invalid_request", `the body must name the migration: {"name": "…", "statements": ["…"]}`)
	case len(name) > maxMigrationNameLen:
		return Migration{}, errf(400, "invalid_request", "name is longer than %d characters", maxMigrationNameLen)
	case len(req.Statements) == 0:
		return Migration{}, errf(400, "invalid_request", "statements is empty: a migration needs at least one SQL statement")
	case len(req.Statements) > maxMigrationStatements:
		return Migration{}, errf(400, "invalid_request", "a migration may have at most %d statements, got %d", maxMigrationStatements, len(req.Statements))
	}
	for i, st := range req.Statements {
		if strings.TrimSpace(st) == "" {
			return Migration{}, errf(400, "invalid_request", "statement %d is empty", i)
		}
	}

	// One migration at a time, and none while a restore is pending: a
	// restore would silently undo it.
	s.migMu.Lock()
	defer s.migMu.Unlock()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return Migration{}, errf(503, "shutting_down", "the server is shutting down")
	}
	if n := len(s.pendingLocked()); n > 0 {
		s.mu.Unlock()
		e := errf(409, "database_restoring", "database %q has %d restore(s) pending; apply the migration after it is ready", s.cfg.DatabaseID, n)
		e.suggestions = []string{"Poll GET /v1/databases/" + s.cfg.DatabaseID + " until its status is ready"}
		return Migration{}, e
	}
	s.migrationSeq++
	id := fmt.Sprintf("migration-%04d", s.migrationSeq)
	if sl := slug(name); sl != "" {
		id += "-" + sl
	}
	s.mu.Unlock()

	m := Migration{ID: id, DatabaseID: s.cfg.DatabaseID, Name: name, Statements: len(req.Statements),
		StartedAt: time.Now().UTC().Truncate(time.Millisecond)}
	for i, st := range req.Statements {
		if _, err := s.db.ExecContext(r.Context(), st); err != nil {
			m.Status = MigrationFailed
			m.Error = &MigrationError{Code: "migration_failed", FailedStatement: i,
				Message: fmt.Sprintf("migration %q failed at statement %d of %d: %v; the %d statement(s) before it stay applied",
					name, i+1, len(req.Statements), err, i)}
			if i > 0 {
				m.Error.Suggestions = []string{"Restore the safety backup taken before the migration: POST /v1/databases/" + s.cfg.DatabaseID + "/backups/{backupId}/restore"}
			}
			break
		}
		m.AppliedStatements++
	}
	if m.Status == "" {
		m.Status = MigrationApplied
	}
	m.FinishedAt = time.Now().UTC().Truncate(time.Millisecond)

	s.mu.Lock()
	s.migrations[id] = &m
	s.mu.Unlock()
	s.log.Info("migration "+m.Status, "migration", id, "applied", m.AppliedStatements, "of", m.Statements)
	return m, nil
}

// listMigrations returns the migrations, newest first.
func (s *Server) listMigrations() []Migration {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Migration, 0, len(s.migrations))
	for _, m := range s.migrations {
		out = append(out, *m)
	}
	// Ids start with a zero-padded sequence number.
	sort.Slice(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	return out
}

func (s *Server) getMigration(id string) (Migration, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.migrations[id]
	if m == nil {
		return Migration{}, errf(404, "migration_not_found", "migration %q not found (list them with GET /v1/databases/%s/migrations)", id, s.cfg.DatabaseID)
	}
	return *m, nil
}

func (s *Server) handleApplyMigration(w http.ResponseWriter, r *http.Request) {
	var req migrationRequest
	if err := decodeBody(r, &req); err != nil {
		writeError(w, err)
		return
	}
	m, err := s.applyMigration(r, req)
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Location", "/v1/databases/"+m.DatabaseID+"/migrations/"+m.ID)
	status := http.StatusCreated
	if m.Status == MigrationFailed {
		status = http.StatusUnprocessableEntity
	}
	writeJSON(w, status, m)
}

func (s *Server) handleListMigrations(w http.ResponseWriter, r *http.Request) {
	all := s.listMigrations()
	writeJSON(w, http.StatusOK, map[string]any{
		"data":       all,
		"pagination": map[string]any{"nextCursor": nil, "hasMore": false, "total": len(all)},
	})
}

func (s *Server) handleGetMigration(w http.ResponseWriter, r *http.Request) {
	m, err := s.getMigration(r.PathValue("migrationId"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}
