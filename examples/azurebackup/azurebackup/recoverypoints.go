package azurebackup

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"time"
)

// recoveryPoint is one discrete recovery point with its content.
type recoveryPoint struct {
	ID           string
	FriendlyName string
	Time         time.Time
	DataStoreID  string
	Content      []byte
}

// seedNewest is the newest recovery point of the seed document; the mock
// reuses its ids so that the documented example request works unchanged.
var (
	seedNewestTime  = time.Date(2021, 10, 21, 16, 31, 16, 831671600, time.UTC)
	seedNewestID    = "eb006fde78cb47198be5a320fbe45e9b"
	seedNewestName  = "794ead7c7661410da03997d210d469e7"
	seedNewestStore = "9ea7eaf4-eeb8-4c8f-90a7-7f04b60bf075"
)

// makeRecoveryPoints builds n daily recovery points, newest first, with
// deterministic ids and content derived from the backup instance name.
func makeRecoveryPoints(instance string, n int) []recoveryPoint {
	rps := make([]recoveryPoint, n)
	for i := range n {
		h := sha256.Sum256(fmt.Appendf(nil, "%s/recoveryPoint/%d", instance, i))
		rp := recoveryPoint{
			ID:           hex.EncodeToString(h[:16]),
			FriendlyName: hex.EncodeToString(h[16:]),
			Time:         seedNewestTime.Add(-time.Duration(i) * 24 * time.Hour),
			DataStoreID:  uuidFrom(h[8:24]),
		}
		if i == 0 {
			rp.ID, rp.FriendlyName, rp.DataStoreID = seedNewestID, seedNewestName, seedNewestStore
		}
		rp.Content = dumpFor(rp, binary.BigEndian.Uint64(h[:8]))
		rps[i] = rp
	}
	return rps
}

// uuidFrom formats 16 bytes as a version-4-looking UUID.
func uuidFrom(b []byte) string {
	var u [16]byte
	copy(u[:], b)
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// dumpFor renders a small pg_dump-style plain-text dump whose rows depend on
// the recovery point, so that restoring the wrong point is detectable.
func dumpFor(rp recoveryPoint, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	var b bytes.Buffer
	fmt.Fprintf(&b, "--\n-- PostgreSQL database dump\n--\n\n")
	fmt.Fprintf(&b, "-- Dumped from database version 16.4\n-- Recovery point: %s (%s)\n-- Taken at: %s\n\n",
		rp.ID, rp.FriendlyName, rp.Time.Format(time.RFC3339Nano))
	b.WriteString("SET statement_timeout = 0;\nSET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\n\n")
	b.WriteString("CREATE TABLE public.employees (\n    id integer NOT NULL,\n    name text NOT NULL,\n    salary numeric(10,2) NOT NULL,\n    hired_on date NOT NULL\n);\n\n")
	b.WriteString("COPY public.employees (id, name, salary, hired_on) FROM stdin;\n")
	first := []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Niklaus"}
	last := []string{"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Perlman", "Wirth"}
	rows := 40 + r.IntN(40)
	for id := 1; id <= rows; id++ {
		hired := rp.Time.AddDate(0, 0, -r.IntN(3650))
		fmt.Fprintf(&b, "%d\t%s %s\t%d.%02d\t%s\n", id,
			first[r.IntN(len(first))], last[r.IntN(len(last))],
			30000+r.IntN(150000), r.IntN(100), hired.Format(time.DateOnly))
	}
	b.WriteString("\\.\n\n")
	fmt.Fprintf(&b, "SELECT pg_catalog.setval('public.employees_id_seq', %d, true);\n\n", rows)
	b.WriteString("ALTER TABLE ONLY public.employees\n    ADD CONSTRAINT employees_pkey PRIMARY KEY (id);\n\n")
	b.WriteString("--\n-- PostgreSQL database dump complete\n--\n")
	return b.Bytes()
}
