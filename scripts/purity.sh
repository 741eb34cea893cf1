#!/usr/bin/env bash
# scripts/purity.sh - the pure parts of the daemon do no I/O.
#
#   scripts/purity.sh [PATH...]   check PATHs (files or folders; default
#                                 daemon/core daemon/pipeline); exits 1 and names
#                                 file:line of every violation
#   scripts/purity.sh --test      make test's suite: the self-test on the fixtures
#                                 of regress/purity/, then the real check; one
#                                 "ok N - ..." or "not ok N - ..." line per case
#
# The contract (../shared/design.md, "The core is pure"): the matching core and
# the order manager have no I/O, no clock, no malloc on the hot path and no
# randomness; the shell (daemon/matchd/) does all of that.  The check reads C
# as text, without comments and string literals, and applies three rules:
#
#   1. includes: <...> only from the allow-list below, no computed includes;
#      "..." only of a header in daemon/core/, daemon/pipeline/ or include/, and
#      a header found in include/ is checked by the same rules;
#   2. calls: no identifier of the deny-list below followed by "(" (a member
#      call, x.f( or x->f(, is a call through the caller's own table and is
#      not looked at); some names are denied wherever they stand (stdin,
#      stdout, stderr, FILE, asm);
#   3. feature macros: no _GNU_SOURCE, _POSIX_C_SOURCE, _XOPEN_SOURCE,
#      _DEFAULT_SOURCE or _BSD_SOURCE (they exist to reach POSIX, i.e. I/O);
#      and no string naming /dev/random or /dev/urandom.
#
# Allowed and why: <stdio.h> for snprintf/vsnprintf into a caller's buffer (every
# other stdio function is denied); <stdlib.h> for malloc/calloc/realloc/free
# (setup, growth amortized by doubling, scratch of queries) and qsort (exit,
# abort, getenv, system and rand are denied); exit and abort are denied because
# a pure module reports a failure to its caller and the shell decides to stop;
# assert is denied with <assert.h> for the same reason.
#
# What it cannot see (so it is a tripwire, not a proof): whether an allocation
# is on the hot path (malloc is allowed, so "no malloc on the hot path" is
# kept by review and by the benchmarks); calls through function pointers,
# including a pointer to a denied function taken by a caller; a denied call
# hidden behind a macro defined in an allowed system header or in a header of
# core/ or pipeline/ whose name is not on the list; inline assembly spelled
# some other way than asm/__asm__; global mutable state and non-determinism
# that is not I/O (uninitialized memory, iteration over addresses); floating
# point.  It reads files as text and does not preprocess them, so code inside
# #if 0 is checked too (stricter, never laxer).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

ALLOWED_SYSTEM="stdint.h stddef.h stdbool.h string.h stdlib.h stdarg.h stdio.h ctype.h \
inttypes.h limits.h"
QUOTE_DIRS="daemon/core daemon/pipeline include"

# denied when called: name(
DENY_CALL=(
	# stdio beyond snprintf/vsnprintf
	printf fprintf vprintf vfprintf dprintf vdprintf sprintf vsprintf puts fputs fputc
	putc putchar getc getchar fgetc fgets gets scanf fscanf vscanf vfscanf fopen fdopen
	freopen fclose fread fwrite fflush fseek fseeko ftell ftello rewind fgetpos fsetpos
	perror tmpfile tmpnam remove rename popen pclose setvbuf setbuf fileno
	# files and descriptors
	open openat creat close read write pread pwrite readv writev lseek fsync fdatasync
	ioctl fcntl mmap munmap msync unlink unlinkat mkdir rmdir stat fstat lstat access
	dup dup2 dup3 pipe pipe2 select pselect poll ppoll truncate ftruncate opendir
	readdir closedir chdir getcwd
	# sockets
	socket socketpair bind listen accept accept4 connect send sendto sendmsg sendmmsg
	recv recvfrom recvmsg recvmmsg shutdown setsockopt getsockopt getaddrinfo
	freeaddrinfo getpeername getsockname
	# epoll and friends
	epoll_create epoll_create1 epoll_ctl epoll_wait epoll_pwait eventfd signalfd
	timerfd_create timerfd_settime timerfd_gettime inotify_init
	# clocks and sleeping
	time clock clock_gettime clock_getres clock_nanosleep gettimeofday timespec_get
	localtime localtime_r gmtime gmtime_r mktime timegm strftime difftime ctime asctime
	nanosleep sleep usleep alarm setitimer getitimer timer_create timer_settime
	__rdtsc __rdtscp __builtin_ia32_rdtsc __builtin_ia32_rdtscp __builtin_readcyclecounter
	# signals
	signal sigaction raise kill killpg sigprocmask sigsuspend sigwait pause
	# randomness
	rand srand rand_r random srandom initstate setstate drand48 erand48 lrand48 nrand48
	mrand48 jrand48 srand48 arc4random arc4random_buf arc4random_uniform getrandom
	getentropy
	# the process and its environment
	getenv secure_getenv setenv putenv unsetenv clearenv system fork vfork execl execlp
	execle execv execvp execvpe fexecve exit _exit _Exit quick_exit atexit
	at_quick_exit abort assert getpid getppid getuid wait waitpid syslog openlog dlopen
	dlsym prctl syscall
)
# denied with these prefixes when called: threads (POSIX and C11), libpq
DENY_PREFIX_CALL='pthread_[A-Za-z0-9_]*|thrd_[A-Za-z0-9_]*|mtx_[A-Za-z0-9_]*|cnd_[A-Za-z0-9_]*|tss_[A-Za-z0-9_]*|call_once|PQ[A-Za-z0-9_]*|lo_[a-z_]+'
# denied wherever they stand
DENY_WORD='stdin|stdout|stderr|FILE|asm|__asm__|__asm'
FEATURE_MACROS='_GNU_SOURCE|_POSIX_C_SOURCE|_XOPEN_SOURCE|_DEFAULT_SOURCE|_BSD_SOURCE'

DENY_CALL_RE=$(
	IFS='|'
	echo "${DENY_CALL[*]}"
)

# strip MODE FILE: the file with comments blanked (MODE comments) or with
# comments, string and character literals blanked (MODE code); newlines kept,
# so line numbers stay.
strip() {
	awk -v mode="$1" '
	BEGIN { st = 0 } # 0 code, 1 block comment, 2 string, 3 char
	{
		line = $0; out = ""; n = length(line); i = 1
		if (st == 4) st = 0 # a line comment ends with its line
		while (i <= n) {
			c = substr(line, i, 1); d = substr(line, i, 2)
			if (st == 0) {
				if (d == "/*") { st = 1; out = out "  "; i += 2; continue }
				if (d == "//") { st = 4; break }
				if (c == "\"") { st = 2; out = out c; i++; continue }
				if (c == "'\''") { st = 3; out = out c; i++; continue }
				out = out c; i++
			} else if (st == 1) {
				if (d == "*/") { st = 0; out = out "  "; i += 2; continue }
				out = out " "; i++
			} else { # in a literal
				q = (st == 2) ? "\"" : "'\''"
				if (c == "\\") { out = out (mode == "code" ? "  " : substr(line, i, 2)); i += 2; continue }
				if (c == q) { st = 0; out = out c; i++; continue }
				out = out (mode == "code" ? " " : c); i++
			}
		}
		if (st == 2 || st == 3) st = 0 # an unterminated literal ends with its line
		print out
	}' "$2"
}

# check_file FILE: prints "FILE:LINE: why" for every violation, and "@ HEADER"
# for every header of include/ it names (checked next by the same rules).
check_file() {
	local f=$1 text code
	text=$(strip comments "$f")
	code=$(strip code "$f")

	# 1. includes
	while IFS= read -r l; do
		local num=${l%%:*} rest=${l#*:} name
		if [[ $rest =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\<([^>]+)\> ]]; then
			name=${BASH_REMATCH[1]}
			if [[ " $ALLOWED_SYSTEM " != *" $name "* ]]; then
				echo "$f:$num: includes <$name>, which is not on the pure allow-list"
			fi
		elif [[ $rest =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\"([^\"]+)\" ]]; then
			name=${BASH_REMATCH[1]}
			local found=""
			for d in "${f%/*}" $QUOTE_DIRS; do
				if [ -f "$d/$name" ]; then
					found=$d/$name
					break
				fi
			done
			if [ -z "$found" ]; then
				echo "$f:$num: includes \"$name\", which is not a header of core/, pipeline/ or include/"
			else
				case $found in
				include/*) echo "@ $found" ;;
				esac
			fi
		else
			echo "$f:$num: computed or malformed #include"
		fi
	done < <(grep -nE '^[[:space:]]*#[[:space:]]*include' <<<"$text")

	# 3. feature macros and device names
	grep -nE "^[[:space:]]*#[[:space:]]*(define|undef)[[:space:]]+($FEATURE_MACROS)\\b" <<<"$text" |
		sed -E "s|^([0-9]+):.*|$f:\\1: defines a feature macro that exists to reach POSIX|"
	grep -nE '/dev/u?random' <<<"$text" | sed -E "s|^([0-9]+):.*|$f:\\1: names a random device|"

	# 2. calls and words, in code only (comments and literals blanked); a
	# member call (x.f( or x->f() is not looked at
	grep -noP "(?<![A-Za-z0-9_.])(?<!->)($DENY_CALL_RE|$DENY_PREFIX_CALL)\\s*\\(" <<<"$code" |
		awk -F: -v f="$f" '{ m = $2; sub(/[ \t]*\(.*/, "", m); print f ":" $1 ": calls " m "()" }'
	grep -noP "(?<![A-Za-z0-9_.])(?<!->)($DENY_WORD)(?![A-Za-z0-9_])" <<<"$code" |
		awk -F: -v f="$f" '{ print f ":" $1 ": uses " $2 }'
}

# check PATH...: every .c and .h below the paths, then the include/ headers
# they name; prints the violations, returns 1 if there were any.
check() {
	local files=() f out="" seen=" "
	for p in "$@"; do
		if [ -d "$p" ]; then
			while IFS= read -r f; do files+=("$f"); done < <(find "$p" -name '*.[ch]' | sort)
		elif [ -f "$p" ]; then
			files+=("$p")
		else
			echo "purity: no such file or folder: $p" >&2
			return 2
		fi
	done
	if [ "${#files[@]}" -eq 0 ]; then
		echo "purity: no C file in $*" >&2
		return 2
	fi
	for f in "${files[@]}"; do
		seen+="$f "
	done
	for f in "${files[@]}"; do
		out+=$(check_file "$f")$'\n'
	done
	# the headers of include/ they name, and the ones those name
	while :; do
		local next=()
		while IFS= read -r f; do
			[[ $seen == *" $f "* ]] && continue
			seen+="$f "
			next+=("$f")
		done < <(grep '^@ ' <<<"$out" | cut -c3- | sort -u)
		[ "${#next[@]}" -eq 0 ] && break
		for f in "${next[@]}"; do
			out+=$(check_file "$f")$'\n'
		done
	done
	local headers
	headers=$(grep '^@ ' <<<"$out" | cut -c3- | sort -u | paste -sd' ')
	out=$(grep -v '^@ ' <<<"$out")
	out=$(grep -v '^$' <<<"$out" | sort -t: -k1,1 -k2,2n -s | uniq)
	if [ -n "$out" ]; then
		echo "$out"
		echo "purity: $(wc -l <<<"$out") violation(s) of the pure rule (scripts/purity.sh says what is allowed)"
		return 1
	fi
	echo "purity: ${#files[@]} files and the headers of include/ they use (${headers:-none}) are pure"
	return 0
}

# the details of a failed case, as comments of its "not ok" line
indent() { sed 's/^/#   /'; }

# The self-test: each fixture of regress/purity/bad/ must fail, reporting
# exactly its lines marked with a comment starting "PURITY-EXPECT" (comments
# are never read by the check); regress/purity/good/ must pass.
self_test() {
	local n=0 failed=0 f out want got
	for f in regress/purity/bad/*.[ch]; do
		n=$((n + 1))
		out=$(check "$f" 2>&1)
		local rc=$?
		want=$(grep -nF '/* PURITY-EXPECT' "$f" | cut -d: -f1 | sort -n | tr '\n' ' ')
		got=$(grep -oE "^$f:[0-9]+:" <<<"$out" | cut -d: -f2 | sort -nu | tr '\n' ' ')
		if [ "$rc" -eq 1 ] && [ -n "$want" ] && [ "$want" = "$got" ]; then
			echo "ok $n - $f fails at lines $want"
		else
			echo "not ok $n - $f: exit $rc, expected violations at lines [$want], got [$got]"
			indent <<<"$out"
			failed=$((failed + 1))
		fi
	done
	for f in regress/purity/good/*.[ch]; do
		n=$((n + 1))
		if out=$(check "$f" 2>&1); then
			echo "ok $n - $f passes"
		else
			echo "not ok $n - $f should pass"
			indent <<<"$out"
			failed=$((failed + 1))
		fi
	done
	if [ "$n" -lt 2 ]; then
		echo "not ok $((n + 1)) - no fixtures in regress/purity/"
		failed=$((failed + 1))
		n=$((n + 1))
	fi
	N=$n
	return $((failed > 0))
}

case ${1:-} in
--test)
	rc=0
	self_test || rc=1
	n=$((N + 1))
	if out=$(check daemon/core daemon/pipeline); then
		echo "ok $n - daemon/core and daemon/pipeline are pure ($out)"
	else
		echo "not ok $n - daemon/core and daemon/pipeline are not pure:"
		indent <<<"$out"
		rc=1
	fi
	exit $rc
	;;
-h | --help)
	sed -n '2,9p' "$0"
	;;
"")
	check daemon/core daemon/pipeline
	;;
*)
	check "$@"
	;;
esac
