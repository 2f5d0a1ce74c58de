package replica

import (
	"errors"
	"fmt"
	"sort"

	"github.com/paddock-zk/paddock/actors/msg"
)

// The log view: what Storage holds, with the changes not yet handed to the
// shell (or handed in the current Ready) laid over it in Ready's order:
// truncate, then install snapshot, then append the unstable entries.

// snapBase is the zxid of the view's snapshot.
func (r *Replica) snapBase() (uint64, error) {
	if r.snap != nil {
		return r.snap.Zxid, nil
	}
	z, _, err := r.s.Snapshot()
	if err != nil {
		return 0, fmt.Errorf("replica: read snapshot info: %w", err)
	}
	return z, nil
}

// stableLast is the last zxid of the part of the view held by Storage.
func (r *Replica) stableLast() uint64 {
	if r.snap != nil {
		return r.snap.Zxid
	}
	l := r.s.LastZxid()
	if r.trunc != nil && *r.trunc < l {
		l = *r.trunc
	}
	return l
}

// last is the view's last zxid.
func (r *Replica) last() uint64 {
	if n := len(r.unstable); n > 0 {
		return r.unstable[n-1].Zxid
	}
	return r.stableLast()
}

// entries returns the view's entries after `after`, like Storage.Entries.
func (r *Replica) entries(after uint64, maxBytes int) ([]Entry, error) {
	var out []Entry
	size := 0
	if sl := r.stableLast(); after < sl {
		if r.snap != nil {
			return nil, fmt.Errorf("%w: entries after %s (snapshot at %s being installed)", ErrCompacted, msg.FormatZxid(after), msg.FormatZxid(r.snap.Zxid))
		}
		es, err := r.s.Entries(after, maxBytes)
		if err != nil {
			return nil, fmt.Errorf("replica: log entries after %s: %w", msg.FormatZxid(after), err)
		}
		for _, e := range es {
			if e.Zxid > sl {
				break
			}
			out = append(out, e)
			size += len(e.Data)
		}
		if len(out) == 0 || out[len(out)-1].Zxid < sl {
			// Storage stopped early (maxBytes): the caller comes back for more.
			return out, nil
		}
		after = sl
	}
	i := sort.Search(len(r.unstable), func(i int) bool { return r.unstable[i].Zxid > after })
	for ; i < len(r.unstable); i++ {
		e := r.unstable[i]
		if len(out) > 0 && size+len(e.Data) > maxBytes {
			break
		}
		size += len(e.Data)
		out = append(out, e)
	}
	return out, nil
}

// has reports whether the view holds zxid z: as its snapshot point or as an
// entry. Two logs that hold the same zxid agree up to it (see doc.go), so
// this is the test for "our histories meet at z".
func (r *Replica) has(z uint64) (bool, error) {
	if z > r.last() {
		return false, nil
	}
	base, err := r.snapBase()
	if err != nil {
		return false, err
	}
	if z == base {
		return true, nil
	}
	if z == 0 {
		return false, nil
	}
	es, err := r.entries(z-1, 1)
	if errors.Is(err, ErrCompacted) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return len(es) > 0 && es[0].Zxid == z, nil
}

// floor is the largest zxid the view holds that is <= p; ok is false if p
// is below everything the view holds.
func (r *Replica) floor(p uint64) (z uint64, ok bool, err error) {
	if last := r.last(); p >= last {
		return last, true, nil
	}
	base, err := r.snapBase()
	if err != nil {
		return 0, false, err
	}
	if p < base {
		return 0, false, nil
	}
	// Start at p's epoch when the log has entries there, so a follower a
	// little ahead in the current epoch does not cost a scan of the log.
	from := base
	if e0 := msg.MakeZxid(msg.ZxidEpoch(p), 0); e0 > base {
		es, err := r.entries(e0, 1)
		if err != nil && !errors.Is(err, ErrCompacted) {
			return 0, false, err
		}
		if err == nil && len(es) > 0 && es[0].Zxid <= p {
			from = es[0].Zxid
		}
	}
	z = from
	for {
		es, err := r.entries(z, scanBytes)
		if err != nil {
			return 0, false, err
		}
		if len(es) == 0 {
			return z, true, nil
		}
		for _, e := range es {
			if e.Zxid > p {
				return z, true, nil
			}
			z = e.Zxid
		}
	}
}

// scanBytes is the read size when scanning the log for a truncation point.
const scanBytes = 1 << 20

// truncateView drops the view's entries after t.
func (r *Replica) truncateView(t uint64) {
	i := sort.Search(len(r.unstable), func(i int) bool { return r.unstable[i].Zxid > t })
	r.unstable = r.unstable[:i:i]
	if r.snap == nil && t < r.stableLast() {
		r.trunc = &t
	}
}
