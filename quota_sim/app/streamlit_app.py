"""The script Streamlit runs for ``quota-sim app``: draws the page when run as the main script only.

Worker processes of the analyses import the main script as ``__mp_main__``; the guard keeps them
from drawing the page.
"""

if __name__ == "__main__":
    from quota_sim.app.page import main

    main()
