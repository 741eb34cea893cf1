/* events.c - names of event kinds and reason codes, for logs and tests. */
#include "events.h"

const char *
mc_event_kind_name(int kind)
{
	switch (kind)
	{
		case MC_EV_ACCEPTED:
			return "ACCEPTED";
		case MC_EV_REJECTED:
			return "REJECTED";
		case MC_EV_TRADE:
			return "TRADE";
		case MC_EV_CANCELED:
			return "CANCELED";
		case MC_EV_AMENDED:
			return "AMENDED";
		case MC_EV_EXPIRED:
			return "EXPIRED";
		case MC_EV_SESSION:
			return "SESSION";
		case MC_EV_TRIGGERED:
			return "TRIGGERED";
	}
	return "?";
}

const char *
mc_reason_name(int reason)
{
	switch (reason)
	{
		case MC_R_NONE:
			return "NONE";
		case MC_R_UNKNOWN_SYMBOL:
			return "UNKNOWN_SYMBOL";
		case MC_R_SESSION_CLOSED:
			return "SESSION_CLOSED";
		case MC_R_HALTED:
			return "HALTED";
		case MC_R_BAD_SIDE:
			return "BAD_SIDE";
		case MC_R_BAD_TYPE:
			return "BAD_TYPE";
		case MC_R_BAD_TIF:
			return "BAD_TIF";
		case MC_R_BAD_PRICE:
			return "BAD_PRICE";
		case MC_R_BAD_QTY:
			return "BAD_QTY";
		case MC_R_BAD_ORDER_ID:
			return "BAD_ORDER_ID";
		case MC_R_DUPLICATE_ID:
			return "DUPLICATE_ID";
		case MC_R_UNKNOWN_ORDER:
			return "UNKNOWN_ORDER";
		case MC_R_NOT_OWNER:
			return "NOT_OWNER";
		case MC_R_ORDER_POOL_FULL:
			return "ORDER_POOL_FULL";
		case MC_R_LEVEL_POOL_FULL:
			return "LEVEL_POOL_FULL";
		case MC_R_SYMBOL_ORDER_LIMIT:
			return "SYMBOL_ORDER_LIMIT";
		case MC_R_SYMBOL_LEVEL_LIMIT:
			return "SYMBOL_LEVEL_LIMIT";
		case MC_R_BAD_SESSION_OP:
			return "BAD_SESSION_OP";
		case MC_R_BAD_COMMAND:
			return "BAD_COMMAND";
		case MC_R_SYMBOL_EXISTS:
			return "SYMBOL_EXISTS";
		case MC_R_POST_ONLY_WOULD_CROSS:
			return "POST_ONLY_WOULD_CROSS";
		case MC_R_BAD_EXPIRE_TIME:
			return "BAD_EXPIRE_TIME";
		case MC_R_NOT_EXPIRED:
			return "NOT_EXPIRED";
		case MC_R_BAD_STOP_PRICE:
			return "BAD_STOP_PRICE";
		case MC_R_STOP_WOULD_TRIGGER:
			return "STOP_WOULD_TRIGGER";
		case MC_R_USER_CANCEL:
			return "USER_CANCEL";
		case MC_R_IOC_REMAINDER:
			return "IOC_REMAINDER";
		case MC_R_MARKET_REMAINDER:
			return "MARKET_REMAINDER";
		case MC_R_NO_LIQUIDITY:
			return "NO_LIQUIDITY";
		case MC_R_FOK_NOT_FILLABLE:
			return "FOK_NOT_FILLABLE";
		case MC_R_STP_CANCEL_OLDEST:
			return "STP_CANCEL_OLDEST";
		case MC_R_STP_CANCEL_NEWEST:
			return "STP_CANCEL_NEWEST";
		case MC_R_DAY_EXPIRED:
			return "DAY_EXPIRED";
		case MC_R_GTD_EXPIRED:
			return "GTD_EXPIRED";
		case MC_R_STOP_NO_LEVEL:
			return "STOP_NO_LEVEL";
	}
	return "?";
}
