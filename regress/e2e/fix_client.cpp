// fix_client.cpp - an independent FIX 4.4 initiator for the gateway's
// end-to-end tests, built on QuickFIX (Debian libquickfix-dev; no data
// dictionary: the package ships no FIX44.xml, and the gateway's profile is
// checked by the test's expectations instead).  QuickFIX 1.15's headers use
// dynamic exception specifications: built as C++14 (build_fix_client).
//
//   fix_client PORT DIR SENDER:USER:PASSWORD [SENDER:USER:PASSWORD...] < script
//
// One QuickFIX session per SENDER (TargetCompID PGX), file store in DIR.  The
// script is one command a line (# comments):
//   wait_logon S              S logged on within 15 s (else exit 1)
//   wait_logout S TEXT...     S logged out within 15 s with a Logout whose 58 contains TEXT
//   order S ID ACCOUNT SYMBOL buy|sell QTY PRICE|market [day|gtc|ioc|fok]
//   cancel S ID ORIG ACCOUNT SYMBOL buy|sell
//   replace S ID ORIG ACCOUNT SYMBOL buy|sell QTY PRICE
//   status S ID ACCOUNT SYMBOL buy|sell
//   msg S TYPE TAG=VALUE...   any application message of TYPE with these body
//                             fields in this order (+ is a space; the value
//                             "now" is the current UTCTimestamp)
//   expect S TYPE TAG=VALUE...  a received message of TYPE with those fields
//                               within 15 s (consumed; else exit 1); in VALUE
//                               + is a space, * any value, ~X contains X
//   expect_next S TYPE 11=ID TAG=VALUE...  like expect, but the first message
//                               of TYPE about ClOrdID ID not consumed yet must
//                               be the one (the order of an order's reports)
//   none S TYPE TAG=VALUE...    no such message received so far
//   logout S / logon S        QuickFIX's own logout and logon
//   set_next_target S N       the next MsgSeqNum S expects (forces a ResendRequest)
//   run SHELL COMMAND         system(); exit 1 unless it succeeds
// Every message received is printed as "S < 35=8|...".  Exit 0 when the
// script ran to its end.
#include <quickfix/Application.h>
#include <quickfix/FileStore.h>
#include <quickfix/Log.h>
#include <quickfix/MessageCracker.h>
#include <quickfix/Session.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/SocketInitiator.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

struct Creds
{
	std::string user, password;
};

struct Received
{
	std::string sender;
	std::string type;
	std::map<int, std::string> fields;
	std::string text;
};

class App : public FIX::Application
{
  public:
	std::map<std::string, Creds> creds;
	std::mutex mu;
	std::condition_variable cv;
	std::deque<Received> got;
	std::map<std::string, bool> logged_on;
	std::map<std::string, std::string> last_logout;

	void onCreate(const FIX::SessionID &) override {}
	void onLogon(const FIX::SessionID &id) override
	{
		std::lock_guard<std::mutex> l(mu);
		logged_on[id.getSenderCompID().getValue()] = true;
		std::cout << id.getSenderCompID().getValue() << " logged on" << std::endl;
		cv.notify_all();
	}
	void onLogout(const FIX::SessionID &id) override
	{
		std::lock_guard<std::mutex> l(mu);
		logged_on[id.getSenderCompID().getValue()] = false;
		std::cout << id.getSenderCompID().getValue() << " logged out" << std::endl;
		cv.notify_all();
	}
	void toAdmin(FIX::Message &m, const FIX::SessionID &id) override
	{
		if (m.getHeader().getField(FIX::FIELD::MsgType) == "A")
		{
			const Creds &c = creds[id.getSenderCompID().getValue()];
			m.setField(553, c.user);
			m.setField(554, c.password);
		}
	}
	void toApp(FIX::Message &, const FIX::SessionID &) throw(FIX::DoNotSend) override {}
	void fromAdmin(const FIX::Message &m, const FIX::SessionID &id) throw(
	    FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue,
	    FIX::RejectLogon) override
	{
		record(m, id);
	}
	void fromApp(const FIX::Message &m, const FIX::SessionID &id) throw(
	    FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue,
	    FIX::UnsupportedMessageType) override
	{
		record(m, id);
	}

	void record(const FIX::Message &m, const FIX::SessionID &id)
	{
		Received r;
		r.sender = id.getSenderCompID().getValue();
		r.type = m.getHeader().getField(FIX::FIELD::MsgType);
		for (auto it = m.getHeader().begin(); it != m.getHeader().end(); ++it)
			r.fields[it->getTag()] = it->getString();
		for (auto it = m.begin(); it != m.end(); ++it)
			r.fields[it->getTag()] = it->getString();
		r.text = m.toString();
		for (auto &ch : r.text)
			if (ch == '\001')
				ch = '|';
		std::lock_guard<std::mutex> l(mu);
		std::cout << r.sender << " < " << r.text << std::endl;
		if (r.type == "5")
			last_logout[r.sender] = r.fields.count(58) ? r.fields[58] : "";
		got.push_back(r);
		cv.notify_all();
	}
};

static FIX::SessionID
sid(const std::string &sender)
{
	return FIX::SessionID("FIX.4.4", sender, "PGX");
}

static void
send(const std::string &sender, FIX::Message &m)
{
	if (!FIX::Session::sendToTarget(m, sid(sender)))
	{
		std::cerr << "cannot send on " << sender << std::endl;
		std::exit(1);
	}
}

static FIX::UtcTimeStamp
now()
{
	return FIX::UtcTimeStamp();
}

static void
common(FIX::Message &m, const std::string &type, const std::string &id, const std::string &acct,
       const std::string &sym, const std::string &side)
{
	m.getHeader().setField(FIX::MsgType(type));
	m.setField(FIX::ClOrdID(id));
	m.setField(FIX::Account(acct));
	m.setField(FIX::Symbol(sym));
	m.setField(FIX::Side(side == "buy" ? FIX::Side_BUY : FIX::Side_SELL));
	if (type != "H")
		m.setField(FIX::TransactTime(now(), 3));
}

int
main(int argc, char **argv)
{
	if (argc < 4)
	{
		std::cerr << "usage: fix_client PORT DIR SENDER:USER:PASSWORD..." << std::endl;
		return 2;
	}
	App app;
	std::stringstream cfg;
	cfg << "[DEFAULT]\nConnectionType=initiator\nSocketConnectHost=127.0.0.1\n"
	    << "SocketConnectPort=" << argv[1] << "\nFileStorePath=" << argv[2] << "/store\n"
	    << "StartTime=00:00:00\nEndTime=00:00:00\nHeartBtInt=5\nReconnectInterval=1\n"
	    << "UseDataDictionary=N\nResetOnLogon=N\nResetOnLogout=N\nResetOnDisconnect=N\n"
	    << "SendRedundantResendRequests=N\nValidateUserDefinedFields=N\n"
	    << "MillisecondsInTimeStamp=Y\n";
	for (int i = 3; i < argc; i++)
	{
		std::string s = argv[i];
		size_t a = s.find(':'), b = s.find(':', a + 1);
		std::string sender = s.substr(0, a);
		app.creds[sender] = Creds{s.substr(a + 1, b - a - 1), s.substr(b + 1)};
		cfg << "[SESSION]\nBeginString=FIX.4.4\nSenderCompID=" << sender
		    << "\nTargetCompID=PGX\n";
	}
	FIX::SessionSettings settings(cfg);
	FIX::FileStoreFactory store(settings);
	FIX::ScreenLogFactory logs(false, false, false);
	FIX::SocketInitiator initiator(app, store, settings, logs);
	initiator.start();

	std::string line;
	int lineno = 0;
	while (std::getline(std::cin, line))
	{
		lineno++;
		std::istringstream in(line);
		std::string cmd;
		if (!(in >> cmd) || cmd[0] == '#')
			continue;
		std::cout << "> " << line << std::endl;
		std::vector<std::string> w;
		std::string t;
		while (in >> t)
			w.push_back(t);
		auto need = [&](size_t n) {
			if (w.size() < n)
			{
				std::cerr << "line " << lineno << ": " << cmd << " needs " << n << " words"
				          << std::endl;
				std::exit(2);
			}
		};
		if (cmd == "run")
		{
			std::string rest = line.substr(line.find("run") + 3);
			std::cout.flush();
			if (std::system(rest.c_str()) != 0)
			{
				std::cerr << "FAIL line " << lineno << ": " << rest << std::endl;
				std::exit(1);
			}
		}
		else if (cmd == "wait_logon" || cmd == "wait_logout")
		{
			need(1);
			bool want = cmd == "wait_logon";
			std::string text;
			for (size_t i = 1; i < w.size(); i++)
				text += (i > 1 ? " " : "") + w[i];
			std::unique_lock<std::mutex> l(app.mu);
			bool ok = app.cv.wait_for(l, std::chrono::seconds(15), [&] {
				if (app.logged_on[w[0]] != want)
					return false;
				return want || text.empty() ||
				       app.last_logout[w[0]].find(text) != std::string::npos;
			});
			if (!ok)
			{
				std::cerr << "FAIL line " << lineno << ": " << line << " (last Logout: '"
				          << app.last_logout[w[0]] << "')" << std::endl;
				std::exit(1);
			}
			app.last_logout[w[0]].clear();
		}
		else if (cmd == "order")
		{
			need(7);
			FIX::Message m;
			common(m, "D", w[1], w[2], w[3], w[4]);
			m.setField(FIX::OrderQty(std::stod(w[5])));
			if (w[6] == "market")
				m.setField(FIX::OrdType(FIX::OrdType_MARKET));
			else
			{
				m.setField(FIX::OrdType(FIX::OrdType_LIMIT));
				m.setField(44, w[6]);
			}
			std::string tif = w.size() > 7 ? w[7] : "day";
			m.setField(FIX::TimeInForce(tif == "gtc"   ? FIX::TimeInForce_GOOD_TILL_CANCEL
			                            : tif == "ioc" ? FIX::TimeInForce_IMMEDIATE_OR_CANCEL
			                            : tif == "fok" ? FIX::TimeInForce_FILL_OR_KILL
			                                           : FIX::TimeInForce_DAY));
			send(w[0], m);
		}
		else if (cmd == "cancel")
		{
			need(6);
			FIX::Message m;
			common(m, "F", w[1], w[3], w[4], w[5]);
			m.setField(FIX::OrigClOrdID(w[2]));
			send(w[0], m);
		}
		else if (cmd == "replace")
		{
			need(8);
			FIX::Message m;
			common(m, "G", w[1], w[3], w[4], w[5]);
			m.setField(FIX::OrigClOrdID(w[2]));
			m.setField(FIX::OrderQty(std::stod(w[6])));
			m.setField(FIX::OrdType(FIX::OrdType_LIMIT));
			m.setField(44, w[7]);
			send(w[0], m);
		}
		else if (cmd == "status")
		{
			need(5);
			FIX::Message m;
			common(m, "H", w[1], w[2], w[3], w[4]);
			send(w[0], m);
		}
		else if (cmd == "msg")
		{
			need(2);
			FIX::Message m;
			m.getHeader().setField(FIX::MsgType(w[1]));
			for (size_t i = 2; i < w.size(); i++)
			{
				size_t eq = w[i].find('=');
				std::string v = w[i].substr(eq + 1);
				for (auto &ch : v)
					if (ch == '+')
						ch = ' ';
				int tag = std::stoi(w[i].substr(0, eq));
				if (v == "now")
					m.setField(FIX::UtcTimeStampField(tag, now(), 3));
				else
					m.setField(tag, v);
			}
			send(w[0], m);
		}
		else if (cmd == "expect" || cmd == "none" || cmd == "expect_next")
		{
			need(2);
			std::vector<std::pair<int, std::string>> want;
			for (size_t i = 2; i < w.size(); i++)
			{
				size_t eq = w[i].find('=');
				std::string v = w[i].substr(eq + 1);
				for (auto &ch : v)
					if (ch == '+')
						ch = ' ';
				want.push_back({std::stoi(w[i].substr(0, eq)), v});
			}
			auto match = [&](const Received &r) {
				if (r.sender != w[0] || r.type != w[1])
					return false;
				for (auto &p : want)
				{
					auto it = r.fields.find(p.first);
					if (p.second == "*")
					{
						if (it == r.fields.end())
							return false;
					}
					else if (p.second.size() > 1 && p.second[0] == '~')
					{
						if (it == r.fields.end() ||
						    it->second.find(p.second.substr(1)) == std::string::npos)
							return false;
					}
					else if (it == r.fields.end() || it->second != p.second)
						return false;
				}
				return true;
			};
			std::string id;
			for (auto &p : want)
				if (p.first == 11)
					id = p.second;
			if (cmd == "expect_next" && id.empty())
			{
				std::cerr << "line " << lineno << ": expect_next needs 11=ID"
				          << std::endl;
				std::exit(2);
			}
			// expect_next: only the first unconsumed message about the order counts
			auto first = [&](const Received &r) {
				return r.sender == w[0] && r.type == w[1] && r.fields.count(11) &&
				       r.fields.at(11) == id;
			};
			std::unique_lock<std::mutex> l(app.mu);
			auto scan = [&] {
				for (auto it = app.got.begin(); it != app.got.end(); ++it)
					if (cmd == "expect_next" && first(*it))
					{
						if (!match(*it))
						{
							std::cerr << "FAIL line " << lineno << ": " << line
							          << "\n  the next report of " << id << " is " << it->text
							          << std::endl;
							std::exit(1);
						}
						std::cout << "ok: " << it->text << std::endl;
						app.got.erase(it);
						return true;
					}
					else if (cmd != "expect_next" && match(*it))
					{
						std::cout << "ok: " << it->text << std::endl;
						app.got.erase(it);
						return true;
					}
				return false;
			};
			auto deadline =
			    std::chrono::steady_clock::now() + std::chrono::seconds(cmd == "none" ? 0 : 15);
			bool found = scan();
			while (!found && app.cv.wait_until(l, deadline) != std::cv_status::timeout)
				found = scan();
			if (!found)
				found = scan();
			if (found != (cmd != "none"))
			{
				std::cerr << "FAIL line " << lineno << ": " << line << std::endl;
				std::exit(1);
			}
		}
		else if (cmd == "logout" || cmd == "logon")
		{
			need(1);
			FIX::Session *s = FIX::Session::lookupSession(sid(w[0]));
			if (cmd == "logout")
				s->logout();
			else
				s->logon();
		}
		else if (cmd == "set_next_target")
		{
			need(2);
			FIX::Session::lookupSession(sid(w[0]))->setNextTargetMsgSeqNum(std::stoi(w[1]));
		}
		else
		{
			std::cerr << "line " << lineno << ": unknown command " << cmd << std::endl;
			return 2;
		}
	}
	initiator.stop(true);
	std::cout << "script done" << std::endl;
	return 0;
}
