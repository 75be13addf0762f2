"""Linking payments to payment orders and cases by the reference they carry."""
