package zkcli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/paddock-zk/paddock/zk"
)

// JavaDateLayout is java.util.Date.toString's format.
const JavaDateLayout = "Mon Jan 02 15:04:05 MST 2006"

// PrintStat prints st as zkCli's StatPrinter does; times are shown in loc.
func PrintStat(w io.Writer, st zk.Stat, loc *time.Location) {
	date := func(ms int64) string { return time.UnixMilli(ms).In(loc).Format(JavaDateLayout) }
	fmt.Fprintf(w, "cZxid = 0x%x\n", uint64(st.Czxid))
	fmt.Fprintf(w, "ctime = %s\n", date(st.Ctime))
	fmt.Fprintf(w, "mZxid = 0x%x\n", uint64(st.Mzxid))
	fmt.Fprintf(w, "mtime = %s\n", date(st.Mtime))
	fmt.Fprintf(w, "pZxid = 0x%x\n", uint64(st.Pzxid))
	fmt.Fprintf(w, "cversion = %d\n", st.Cversion)
	fmt.Fprintf(w, "dataVersion = %d\n", st.Version)
	fmt.Fprintf(w, "aclVersion = %d\n", st.Aversion)
	fmt.Fprintf(w, "ephemeralOwner = 0x%x\n", uint64(st.EphemeralOwner))
	fmt.Fprintf(w, "dataLength = %d\n", st.DataLength)
	fmt.Fprintf(w, "numChildren = %d\n", st.NumChildren)
}

// PermString is GetAclCommand.getPermString: the letters of perms in the
// order c, d, r, w, a.
func PermString(perms int32) string {
	var b strings.Builder
	for _, p := range []struct {
		bit int32
		c   byte
	}{{zk.PermCreate, 'c'}, {zk.PermDelete, 'd'}, {zk.PermRead, 'r'}, {zk.PermWrite, 'w'}, {zk.PermAdmin, 'a'}} {
		if perms&p.bit != 0 {
			b.WriteByte(p.c)
		}
	}
	return b.String()
}

// csvEscape is jute's Utils.toCSVString escaping (without the leading
// quote), which Id.toString applies to scheme and id.
func csvEscape(s string) string {
	return strings.NewReplacer("\x00", "%00", "\n", "%0A", "\r", "%0D", ",", "%2C", "}", "%7D", "%", "%25").Replace(s)
}

// ParseACL is zkCli's AclParser: comma-separated scheme:id:perms, the id
// being everything between the first and the last colon. Malformed
// entries and unknown permission letters are reported on errOut and
// skipped, as zkCli does.
func ParseACL(s string, errOut io.Writer) []zk.ACL {
	acl := []zk.ACL{}
	for _, a := range strings.Split(s, ",") {
		first, last := strings.IndexByte(a, ':'), strings.LastIndexByte(a, ':')
		if first < 0 || first == last {
			fmt.Fprintln(errOut, a+" does not have the form scheme:id:perm")
			continue
		}
		var perms int32
		for _, c := range a[last+1:] {
			switch c {
			case 'r':
				perms |= zk.PermRead
			case 'w':
				perms |= zk.PermWrite
			case 'c':
				perms |= zk.PermCreate
			case 'd':
				perms |= zk.PermDelete
			case 'a':
				perms |= zk.PermAdmin
			default:
				fmt.Fprintf(errOut, "Unknown perm type: %c\n", c)
			}
		}
		acl = append(acl, zk.ACL{Perms: perms, ID: zk.ID{Scheme: a[:first], ID: a[first+1 : last]}})
	}
	return acl
}
