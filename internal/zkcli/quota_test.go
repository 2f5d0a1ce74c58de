package zkcli

import "testing"

// StatsTrack's text as ZooKeeper 3.8 writes and reads it.
func TestStatsTrack(t *testing.T) {
	for _, tt := range []struct{ in, out string }{
		{"count=0,bytes=0", "count=0,bytes=0"},
		{"count=5,bytes=-1=;byteHardLimit=100;countHardLimit=-1", "count=5,bytes=-1=;byteHardLimit=100;countHardLimit=-1"},
		{"count=5,bytes=9", "count=5,bytes=9"},
		{"countHardLimit=3;;count=1", "count=1,bytes=-1=;countHardLimit=3"},
		{"", "count=-1,bytes=-1"},
		{"count=", "count=-1,bytes=-1"},
	} {
		st, err := parseStatsTrack(tt.in)
		if err != nil || st.String() != tt.out {
			t.Errorf("%q: %q %v, want %q", tt.in, st, err, tt.out)
		}
	}
	if _, err := parseStatsTrack("count=x"); err == nil {
		t.Error("count=x parsed")
	}
}

// config -c is ConfigUtils.getClientConfigStr.
func TestClientConfig(t *testing.T) {
	cfg := "server.2=10.0.0.2:2888:3888:participant;2182\n" +
		"server.1=10.0.0.1:2888:3888:participant;127.0.0.1:2181\n" +
		"server.3=10.0.0.3:2888:3888:observer\nversion=100000003\n"
	if got := clientConfig(cfg); got != "100000003 127.0.0.1:2181,0.0.0.0:2182," {
		t.Fatalf("got %q", got)
	}
	if got := clientConfig(""); got != " " {
		t.Fatalf("empty config: %q", got)
	}
}
