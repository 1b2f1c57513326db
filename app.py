"""The planners' app from a checkout: ``streamlit run app.py`` (the same page as ``quota-sim app``).

The page lives in :mod:`quota_sim.app.page`; worker processes that import this file as
``__mp_main__`` do not draw it.
"""

if __name__ == "__main__":
    from quota_sim.app.page import main

    main()
