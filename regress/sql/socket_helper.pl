# Unix sockets for regress/sql/order_entry_wait.sql and order_manager.sql (not a
# test of its own): stand-ins for a matchd that is hung or gone, and one that
# gives every request the same canned answer (it sequences nothing: the tests
# use it only for the extension's side of the answer, e.g. refusals).
#
#   perl socket_helper.pl silent   a listener that accepts and never writes a byte (a
#                                  hung matchd) for 60 s; logs "accept N", "request N
#                                  <hex of the frame>" and "eof N" to <socket>.log;
#                                  prints the socket path
#   perl socket_helper.pl stale    a socket file nobody listens on (a crashed matchd);
#                                  prints its path (removed after 60 s)
#   perl socket_helper.pl answer SQLSTATE STATUS REASON MESSAGE [SEQ]
#                                  like silent, but answers each request with outcome
#                                  DONE, that SQLSTATE ("zero": five zero bytes),
#                                  status (a number of exchange_wire.h), seq and
#                                  order id SEQ (default 1000) + the number of the
#                                  request, and reason and message ("-": NULL)
#   perl socket_helper.pl refuse SQLSTATE STATUS REASON MESSAGE
#                                  like answer, with outcome ERROR: a refusal
#                                  taken before the sequencer (PX076, PX043)
use strict;
use warnings;
use IO::Socket::UNIX;
use IO::Select;
use POSIX qw(setsid);

my $mode = shift // 'silent';
my @answer = @ARGV;
my $path = "/tmp/pgx-regress-$$-" . time() . ".sock";
my $log  = "$path.log";
unlink $path;
my $srv = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Local => $path, Listen => 16)
	or die "cannot listen on $path: $!";
chmod 0777, $path;
if ($mode eq 'stale')
{
	close $srv;    # the file stays, nobody listens: connect() is refused
	print "$path\n";
	exit 0 if fork();
	close STDOUT;
	close STDERR;
	close STDIN;
	setsid();
	sleep 60;
	unlink $path;
	exit 0;
}
open(my $fh, '>', $log) or die "cannot write $log: $!";
chmod 0644, $log;
$fh->autoflush(1);

my $pid = fork() // die "fork: $!";
if ($pid)
{
	print "$path\n";
	exit 0;
}
# the child keeps listening; psql's backtick waits for stdout to close
close STDOUT;
close STDERR;
close STDIN;
setsid();
my $answered = 0;
# a string of the order-entry protocol: u16 length (0xFFFF: NULL) and the bytes
sub wire_str
{
	my ($v) = @_;
	return pack('v', 0xFFFF) if $v eq '-';
	return pack('v', length($v)) . $v;
}
# the canned answer to a request frame, with the request's id
sub response
{
	my ($request) = @_;
	my ($sqlstate, $status, $reason, $message, $seq0) = @answer;
	my $id  = substr($request, 8, 8);
	my $seq = ($seq0 // 1000) + ++$answered;
	$sqlstate = "\0" x 5 if $sqlstate eq 'zero';
	my $body = pack('C a5 C', $mode eq 'refuse' ? 1 : 0, $sqlstate, $status) . pack('q<5', $seq, $seq, 0, 0, 0)
	  . wire_str($reason) . wire_str($message);
	return pack('V v v', 16 + length($body), 2, 0) . $id . $body;
}
my $sel = IO::Select->new($srv);
my $n = 0;
my %id;
my %pending;
my $until = time() + 60;
while (time() < $until)
{
	for my $s ($sel->can_read(0.1))
	{
		if ($s == $srv)
		{
			my $c = $srv->accept or next;
			$id{$c} = ++$n;
			print $fh "accept $n\n";
			$sel->add($c);
			next;
		}
		my $buf;
		my $r = sysread($s, $buf, 65536);
		if (defined $r && $r > 0)
		{
			# record each whole frame (u32 little-endian length first); answer in
			# answer mode
			$pending{$s} .= $buf;
			while (length($pending{$s}) >= 4)
			{
				my $len = unpack('V', $pending{$s});
				last if length($pending{$s}) < $len || $len < 4;
				my $frame = substr($pending{$s}, 0, $len);
				print $fh "request $id{$s} " . unpack('H*', $frame) . "\n";
				substr($pending{$s}, 0, $len) = '';
				syswrite($s, response($frame)) if $mode eq 'answer' || $mode eq 'refuse';
			}
			next;
		}
		print $fh "eof $id{$s}\n";
		$sel->remove($s);
		close $s;
	}
}
unlink $path, $log;
